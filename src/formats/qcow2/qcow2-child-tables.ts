import type { ClusterStore } from './qcow2-cluster-store.js';
import { l2TableOffset } from './qcow2-entries.js';
import { checkL1Location, l1EntrySpan, type Qcow2Metadata } from './qcow2-metadata.js';

/** Which L1 table of an image: its active layer or one internal snapshot. */
export type TableRef = { kind: 'active' } | { kind: 'snapshot'; id: string; name: string };

/**
 * One L1 table of a child image. Always: the L1 table lies inside the file (checked);
 * `coverage` is the guest bytes the table shows, min(its disk size, what its L1 can map) —
 * the disk size is the snapshot's own when recorded, else the image's virtual size.
 */
export interface ChildTable {
  ref: TableRef;
  l1Offset: number;
  l1Size: number;
  coverage: number;
  active: boolean;
}

export function tableName(t: TableRef): string {
  return t.kind === 'active' ? 'the active layer' : `snapshot ${t.id} "${t.name}"`;
}

export function childTables(m: Qcow2Metadata): ChildTable[] {
  const span = l1EntrySpan(m.header);
  const h = m.header;
  checkL1Location(m, 'the active L1 table', h.l1TableOffset, h.l1Size);
  const out: ChildTable[] = [
    { ref: { kind: 'active' }, l1Offset: h.l1TableOffset, l1Size: h.l1Size, coverage: Math.min(h.virtualSize, h.l1Size * span), active: true },
  ];
  for (const s of m.snapshots) {
    const ref: TableRef = { kind: 'snapshot', id: s.id, name: s.name };
    checkL1Location(m, `the L1 table of ${tableName(ref)}`, s.l1TableOffset, s.l1Size);
    out.push({ ref, l1Offset: s.l1TableOffset, l1Size: s.l1Size, coverage: Math.min(s.diskSize ?? h.virtualSize, s.l1Size * span), active: false });
  }
  return out;
}

/**
 * Every L2 table the L1 tables point to: how many L1 entries point to it (its true refcount,
 * as `qemu-img check` counts it) and at which L1 index. An L2 table used at two different
 * indexes maps two guest ranges at once; that is refused (`fail`), as no fill could be right
 * for both.
 */
export async function l2References(store: ClusterStore, tables: ChildTable[], fail: (p: string) => Error): Promise<Map<number, { refs: number; l1Index: number }>> {
  const out = new Map<number, { refs: number; l1Index: number }>();
  for (const t of tables) {
    if (t.l1Size === 0) continue;
    const l1 = await store.bytes(t.l1Offset, t.l1Size * 8);
    for (let i = 0; i < t.l1Size; i++) {
      const o = l2TableOffset(l1.readBigUInt64BE(i * 8));
      if (o === 0) continue;
      const seen = out.get(o);
      if (!seen) out.set(o, { refs: 1, l1Index: i });
      else if (seen.l1Index !== i) throw fail(`L2 table at ${o} is used at L1 indexes ${seen.l1Index} and ${i}`);
      else seen.refs++;
    }
  }
  return out;
}
