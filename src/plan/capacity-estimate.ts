import type { Domain } from '../model/domain.js';
import type { ChainMember, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { CreateEstimate, PlanAction } from './plan-types.js';

/** qcow2's default cluster size; observation does not read each image's own. */
export const QCOW2_CLUSTER = 65_536;
/** Counted for a live snapshot's memory image when the guest's memory size is unknown. */
export const ASSUMED_MEMORY_BYTES = 1 << 30;

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** A qcow2 L1 table for a disk of `virtualSize`: 8 bytes per L2 table (each maps cluster²/8 bytes), whole clusters. */
export function qcow2L1Bytes(virtualSize: number): number {
  const perL2 = (QCOW2_CLUSTER * QCOW2_CLUSTER) / 8;
  return roundUp(Math.max(1, 8 * Math.ceil(virtualSize / perL2)), QCOW2_CLUSTER);
}

/**
 * A new external overlay: qcow2 (over a qcow2 or raw leaf) = header, refcount table and one
 * refcount block (a cluster each) + the L1 table; VHD (dynamic, differencing) = footer copy,
 * header, two parent-locator sectors and footer (3 KiB) + the BAT (4 bytes per 2 MiB block, whole sectors).
 */
export function overlayBytes(format: string, virtualSize: number): number {
  if (format === 'vhd') return 3072 + roundUp(4 * Math.ceil(virtualSize / 2_097_152), 512);
  return 3 * QCOW2_CLUSTER + qcow2L1Bytes(virtualSize);
}

/** An internal snapshot: its copy of the L1 table, plus a cluster each for the rewritten snapshot table and refcounts. */
export function internalSnapshotBytes(virtualSize: number): number {
  return qcow2L1Bytes(virtualSize) + 2 * QCOW2_CLUSTER;
}

/**
 * Where a create writes and how much: bytes per filesystem id (null: not measured) and the
 * total. Null when a disk of the create has no observed chain (its size is unknown). A live
 * snapshot's memory goes to the state dir's filesystem, except an internal one on a standalone
 * QEMU (no domid), where `snapshot-save` writes it into the first disk's image.
 */
export function estimateCreate(
  a: PlanAction,
  domain: Domain,
  od: ObservedDomain | undefined,
  stateDirFs: string | null,
): { estimate: CreateEstimate; byFs: Map<string | null, number> } | null {
  const byFs = new Map<string | null, number>();
  const add = (fs: string | null | undefined, n: number) => byFs.set(fs ?? null, (byFs.get(fs ?? null) ?? 0) + n);
  let total = 0;
  let firstLeaf: ChainMember | null = null;
  for (const vdev of a.disks) {
    const leaf = od?.disks.find((d) => d.vdev === vdev)?.chain[0];
    if (!leaf) return null;
    firstLeaf ??= leaf;
    const n = a.type === 'external' ? overlayBytes(leaf.format, leaf.virtualSize) : internalSnapshotBytes(leaf.virtualSize);
    add(leaf.fs, n);
    total += n;
  }
  const estimate: CreateEstimate = { bytes: 0 };
  if (a.mode === 'live') {
    const mem = od?.memoryBytes ?? ASSUMED_MEMORY_BYTES;
    if (od?.memoryBytes === undefined) estimate.memoryAssumed = true;
    add(a.type === 'internal' && domain.domid === undefined ? firstLeaf?.fs : stateDirFs, mem);
    total += mem;
  }
  estimate.bytes = total;
  return { estimate, byFs };
}

/**
 * What deleting a snapshot is expected to release, per filesystem, or null when its images
 * were not observed. External: per the merge estimate, the frozen images' allocated bytes
 * minus what the merge copies (copied data moves, it is not freed). Internal: the tag's VM
 * state plus its L1 table copy (clusters only it references are not known, so not counted).
 */
export function estimateFrees(s: ObservedSnapshot, od: ObservedDomain | undefined, bytesToCopy: number | null): { bytes: number; byFs: Map<string | null, number> } | null {
  if (!od) return null;
  const byFs = new Map<string | null, number>();
  let total = 0;
  for (const sd of s.disks) {
    const disk = od.disks.find((d) => d.vdev === sd.vdev);
    if (!disk) return null;
    if (s.type === 'external') {
      const m = disk.chain.find((c) => c.path === sd.frozenPath);
      if (!m) return null;
      byFs.set(m.fs ?? null, (byFs.get(m.fs ?? null) ?? 0) + m.allocatedBytes);
      total += m.allocatedBytes;
    } else {
      const holder = sd.image ? disk.chain.find((c) => c.path === sd.image) : disk.chain[0];
      const tags = holder === disk.chain[0] ? disk.internal : holder?.internal;
      const tag = tags?.find((t) => t.name === (sd.tag ?? s.name));
      if (!holder || !tag) return null;
      const n = tag.vmStateSize + qcow2L1Bytes(tag.diskSize ?? holder.virtualSize);
      byFs.set(holder.fs ?? null, (byFs.get(holder.fs ?? null) ?? 0) + n);
      total += n;
    }
  }
  if (s.type === 'external') {
    if (bytesToCopy === null) return null;
    // the copy lands on the same filesystem(s): take it off the largest share
    const keep = Math.min(total, bytesToCopy);
    let rest = keep;
    for (const [fs, n] of [...byFs].sort((x, y) => y[1] - x[1])) {
      const cut = Math.min(n, rest);
      byFs.set(fs, n - cut);
      rest -= cut;
    }
    total -= keep;
  }
  return { bytes: total, byFs };
}
