import { l1Entry, normalL2Entry, OFLAG_ZERO } from './qcow2-entries.js';
import type { MergeChild } from './qcow2-merge-child.js';
import type { BatchScan, L2Ref } from './qcow2-merge-scan.js';
import type { ParentCluster } from './qcow2-parent-reader.js';
import { getRefcount, setRefcount } from './qcow2-refcount-codec.js';
import { placeRefcounts } from './qcow2-refcount-growth.js';
import { REFTABLE_HEADER_AT, RefcountView } from './qcow2-refcounts.js';
import { StagedWrites } from './qcow2-staged-writes.js';

/**
 * One batch, ready to write. Always: every new cluster lies in [originalLength rounded up to a
 * cluster, newLength): data clusters first (`dataCopies`, ascending and contiguous), then new L2
 * tables, refcount blocks and refcount table (`staged.fresh`); `staged.writes` are the in-place
 * metadata writes in the order that keeps every instant safe: refcounts of the new clusters,
 * then the refcount table (or the header's pointer to a new one), then the old table's clusters
 * freed, then L2 entries, then L1 entries.
 */
export interface BatchPlan {
  originalLength: number;
  newLength: number;
  dataCopies: Array<{ offset: number; source: ParentCluster }>;
  staged: StagedWrites;
  filled: number;
}

export async function assembleBatch(cx: MergeChild, scan: BatchScan): Promise<BatchPlan> {
  const { store, meta, tables } = cx;
  const cs = meta.header.clusterSize;
  const order = cx.refcountOrder;
  const start = Math.ceil(cx.fileSize / cs);
  const staged = new StagedWrites(store);
  const newRefcounts: Array<[number, number]> = [];

  const dataCopies: BatchPlan['dataCopies'] = [];
  const dataEntries: Array<{ l2: L2Ref; index: number; entry: bigint }> = [];
  for (const f of scan.fills) {
    if (!f.copies) {
      for (const s of f.slots) dataEntries.push({ l2: s.l2, index: s.index, entry: OFLAG_ZERO });
      continue;
    }
    for (const group of f.copies) {
      const offset = (start + dataCopies.length) * cs;
      const refcount = group.reduce((n, s) => n + s.refs, 0);
      dataCopies.push({ offset, source: f.source });
      newRefcounts.push([offset / cs, refcount]);
      for (const s of group) dataEntries.push({ l2: s.l2, index: s.index, entry: normalL2Entry(offset, refcount) });
    }
  }
  const freshL2 = scan.fresh.map((x, n) => {
    const offset = (start + dataCopies.length + n) * cs;
    newRefcounts.push([offset / cs, x.tables.length]);
    return { ...x, offset, bytes: staged.newCluster(offset) };
  });

  const rc = await RefcountView.load(store, order, cx.fileSize, meta.fail);
  const fixed = dataCopies.length + freshL2.length;
  const growth = await placeRefcounts(start, fixed, {
    clusterSize: cs,
    perBlock: rc.perBlock,
    capacity: rc.capacity,
    tableClusters: rc.tableClusters,
    hasBlock: async (k) => (await rc.blockOffset(k)) !== 0,
  });
  if (!growth) throw meta.fail('the refcount table would have to grow past QEMU\'s 8 MiB limit');
  const newBlocks = new Map(growth.newBlocks.map((k, n) => [k, (start + fixed + n) * cs]));
  for (const o of newBlocks.values()) newRefcounts.push([o / cs, 1]);
  const tableAt = (start + fixed + growth.newBlocks.length) * cs;
  for (let n = 0; n < growth.tableClusters; n++) newRefcounts.push([tableAt / cs + n, 1]);
  for (const o of newBlocks.values()) staged.newCluster(o);

  // Stage 1: the refcounts of every new cluster.
  const setCount = async (cluster: number, value: number, expect: number | null) => {
    const k = Math.floor(cluster / rc.perBlock);
    const idx = cluster % rc.perBlock;
    const fresh = newBlocks.get(k);
    if (fresh !== undefined) return void setRefcount(staged.fresh.get(fresh)!, idx, order, value);
    const b = await rc.blockOffset(k);
    const block = await staged.existing(b);
    const was = getRefcount(block, idx, order);
    if (expect !== null && was !== expect) throw meta.fail(`cluster ${cluster} has refcount ${was} where ${expect} was expected (run 'qemu-img check -r all' first)`);
    const { at, length } = setRefcount(block, idx, order, value);
    staged.touch(b, at, length);
  };
  for (const [c, v] of newRefcounts) await setCount(c, v, 0);
  staged.endStage();

  // Stage 2: make new blocks reachable, through the old table or a new one.
  if (growth.tableClusters === 0) {
    for (const [k, o] of newBlocks) {
      const at = rc.tableOffset + k * 8;
      const base = at - (at % cs);
      (await staged.existing(base)).writeBigUInt64BE(BigInt(o), at - base);
      staged.touch(base, at - base, 8);
    }
  } else {
    const old = await store.bytes(rc.tableOffset, rc.tableClusters * cs);
    for (let n = 0; n < growth.tableClusters; n++) {
      const c = staged.newCluster(tableAt + n * cs);
      if (n < rc.tableClusters) old.copy(c, 0, n * cs, (n + 1) * cs);
    }
    for (const [k, o] of newBlocks) {
      const c = staged.fresh.get(tableAt + Math.floor((k * 8) / cs) * cs)!;
      c.writeBigUInt64BE(BigInt(o), (k * 8) % cs);
    }
    const head = await staged.existing(0);
    head.writeBigUInt64BE(BigInt(tableAt), REFTABLE_HEADER_AT);
    head.writeUInt32BE(growth.tableClusters, REFTABLE_HEADER_AT + 8);
    staged.touch(0, REFTABLE_HEADER_AT, 12);
  }
  staged.endStage();

  // Stage 3: the old table's clusters are free once the header points past them.
  if (growth.tableClusters !== 0) {
    for (let n = 0; n < rc.tableClusters; n++) await setCount(rc.tableOffset / cs + n, 0, 1);
    staged.endStage();
  }

  // Stage 4: L2 entries (new tables are written whole, beyond the end of the file).
  for (const d of dataEntries) {
    if ('fresh' in d.l2) {
      freshL2[d.l2.fresh]!.bytes.writeBigUInt64BE(d.entry, d.index * 8);
      continue;
    }
    const l2 = await staged.existing(d.l2.existing);
    l2.writeBigUInt64BE(d.entry, d.index * 8);
    staged.touch(d.l2.existing, d.index * 8, 8);
  }
  staged.endStage();

  // Stage 5: L1 entries of the tables that share each new L2 table.
  for (const x of freshL2) {
    for (const k of x.tables) {
      const t = tables[k]!;
      const at = t.l1Offset + x.l1Index * 8;
      const base = at - (at % cs);
      (await staged.existing(base)).writeBigUInt64BE(l1Entry(x.offset, x.tables.length, t.active), at - base);
      staged.touch(base, at - base, 8);
    }
  }
  staged.endStage();

  const newLength = growth.end > start ? growth.end * cs : cx.fileSize;
  return { originalLength: cx.fileSize, newLength, dataCopies, staged, filled: scan.fills.length };
}
