import { l2References } from './qcow2-child-tables.js';
import { isHole, l2TableOffset } from './qcow2-entries.js';
import type { MergeChild } from './qcow2-merge-child.js';
import { l1EntrySpan } from './qcow2-metadata.js';
import type { ParentCluster } from './qcow2-parent-reader.js';
import { RefcountView } from './qcow2-refcounts.js';

/** An L2 table a fill writes into: one the child has, or one the batch creates (index into `fresh`). */
export type L2Ref = { existing: number } | { fresh: number };

/** One L2 entry to fill; `refs` is how many L1 entries reach that L2 table (its refcount). */
export interface Slot {
  l2: L2Ref;
  index: number;
  refs: number;
}

/**
 * One guest cluster of the child that gets F's content. Always: every slot is a hole today and
 * at least one table that shows this guest cluster reads through it. `copies` (data fills)
 * splits the slots into groups whose refs sum to at most the child's refcount maximum, one
 * data cluster each — a single group unless the refcount width cannot count every sharer.
 * `copies` is null for a zero fill (v3: the zero flag in every slot).
 */
export interface Fill {
  guestCluster: number;
  source: Exclude<ParentCluster, { kind: 'hole' }>;
  slots: Slot[];
  copies: Slot[][] | null;
}

/** A new L2 table: shared by `tables` (indexes into MergeChild.tables), whose L1 has none at `l1Index`. */
export interface FreshL2 {
  l1Index: number;
  tables: number[];
}

/** What one batch fills, and where the next batch starts (null: nothing is left). */
export interface BatchScan {
  fills: Fill[];
  fresh: FreshL2[];
  next: number | null;
  /** tables (indexes) whose visible content depends on a fill of this batch */
  dependent: Set<number>;
}

interface Group {
  tables: number[];
  coverage: number;
  l2: L2Ref | null;
  entries: Buffer | null;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < xs.length; k += size) out.push(xs.slice(k, k + size));
  return out;
}

/** Greedy packing of slots into data clusters whose refcount stays ≤ max. */
function pack(slots: Slot[], max: number): Slot[][] {
  const out: Slot[][] = [];
  let cur: Slot[] = [];
  let sum = 0;
  for (const s of slots) {
    if (cur.length && sum + s.refs > max) {
      out.push(cur);
      [cur, sum] = [[], 0];
    }
    cur.push(s);
    sum += s.refs;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Walks the child's guest clusters from `cursor` and collects fills until `limit` new or
 * touched clusters (data clusters, new L2 tables, existing L2 tables written) would be
 * exceeded; a batch always takes at least one fill. Reads only; throws the refusals it meets
 * (an L2 table whose refcount is not the number of L1 entries using it, F's mixed clusters).
 */
export async function scanBatch(cx: MergeChild, cursor: number, limit: number): Promise<BatchScan> {
  const { store, tables, meta } = cx;
  const cs = meta.header.clusterSize;
  const perL2 = cs / 8;
  const span = l1EntrySpan(meta.header);
  const refs = await l2References(store, tables, meta.fail);
  const rc = await RefcountView.load(store, cx.refcountOrder, cx.fileSize, meta.fail);
  const out: BatchScan = { fills: [], fresh: [], next: null, dependent: new Set() };
  const touched = new Set<number>();
  let units = 0;
  const end = Math.ceil(Math.max(...tables.map((t) => t.coverage)) / cs);

  for (let g = cursor; g < end; g = (Math.floor(g / perL2) + 1) * perL2) {
    const i = Math.floor(g / perL2);
    const sharers = tables.flatMap((t, k) => (i < t.l1Size && i * span < t.coverage ? [k] : []));
    if (!sharers.length) continue;
    const byL2 = new Map<number, number[]>();
    const none: number[] = [];
    for (const k of sharers) {
      const o = l2TableOffset(await store.u64(tables[k]!.l1Offset + i * 8));
      if (o === 0) none.push(k);
      else byL2.set(o, [...(byL2.get(o) ?? []), k]);
    }
    const cover = (ts: number[]) => Math.max(...ts.map((k) => tables[k]!.coverage));
    const groups: Group[] = [];
    for (const [o, ts] of byL2) {
      if (o % cs !== 0 || o + cs > cx.fileSize) throw meta.fail(`L1 entry ${i} points to ${o}, which is not a cluster inside the file`);
      groups.push({ tables: ts, coverage: cover(ts), l2: { existing: o }, entries: await store.cluster(o) });
    }
    for (const ts of chunks(none, cx.refcountMax)) groups.push({ tables: ts, coverage: cover(ts), l2: null, entries: null });
    const jEnd = Math.min(perL2, Math.ceil((Math.max(...groups.map((x) => x.coverage)) - i * span) / cs));

    for (let j = g % perL2; j < jEnd; j++) {
      const gg = i * perL2 + j;
      const pos = gg * cs;
      const holes = groups.filter((x) => x.coverage > pos && (x.entries === null || isHole(x.entries.readBigUInt64BE(j * 8))));
      if (!holes.length) continue;
      const source = await cx.parent.classify(gg);
      if (source.kind === 'hole') continue;

      const slots: Slot[] = holes.map((x) => ({
        l2: x.l2 ?? { fresh: -1 },
        index: j,
        refs: x.l2 && 'existing' in x.l2 ? refs.get(x.l2.existing)!.refs : x.tables.length,
      }));
      const copies = source.kind === 'data' || cx.zeroAsData ? pack(slots, cx.refcountMax) : null;
      const newL2s = holes.filter((x) => x.l2 === null).length;
      const newTouched = holes.filter((x) => x.l2 && 'existing' in x.l2 && !touched.has(x.l2.existing)).length;
      const cost = (copies?.length ?? 0) + newL2s + newTouched;
      if (out.fills.length && units + cost > limit) {
        out.next = gg;
        return out;
      }
      units += cost;
      for (const x of holes) {
        if (x.l2 === null) {
          x.l2 = { fresh: out.fresh.length };
          out.fresh.push({ l1Index: i, tables: x.tables });
        } else if ('existing' in x.l2 && !touched.has(x.l2.existing)) {
          const o = x.l2.existing;
          const stored = await rc.refcount(o / cs);
          if (stored !== refs.get(o)!.refs) {
            throw meta.fail(`the L2 table at ${o} has refcount ${stored} but ${refs.get(o)!.refs} L1 entries use it (run 'qemu-img check -r all' first)`);
          }
          touched.add(o);
        }
        for (const k of x.tables) if (tables[k]!.coverage > pos) out.dependent.add(k);
      }
      // Fresh tables got their index only now: point the new slots at them.
      holes.forEach((x, n) => (slots[n]!.l2 = x.l2!));
      out.fills.push({ guestCluster: gg, source, slots, copies });
    }
  }
  return out;
}
