import type { Domain } from '../model/domain.js';
import type { ChainMember, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { CreateEstimate, MergeCost, PlanAction } from './plan-types.js';

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
 * What deleting a snapshot is expected to release, per filesystem, or null when its images were
 * not observed or its delete was not decided on them (`merge` null). Per disk: a removed frozen
 * image frees its allocated bytes; a merged one frees them minus what the merge copies (copied
 * data moves, it is not freed); a tag frees its VM state plus its L1 table copy (clusters only
 * it references are not known, so not counted).
 */
export function estimateFrees(s: ObservedSnapshot, od: ObservedDomain | undefined, merge: MergeCost | null): { bytes: number; byFs: Map<string | null, number> } | null {
  if (!od || !merge) return null;
  const byFs = new Map<string | null, number>();
  let total = 0;
  for (const step of merge.disks) {
    const disk = od.disks.find((d) => d.vdev === step.vdev);
    const m = disk ? [...disk.chain, ...(disk.branches ?? [])].find((c) => c.path === step.image) : undefined;
    if (!disk || !m) return null;
    let n: number;
    if (step.method === 'delete-tag') {
      const tags = m === disk.chain[0] ? disk.internal : m.internal;
      const tag = tags?.find((t) => t.name === step.tag);
      if (!tag) return null;
      n = tag.vmStateSize + qcow2L1Bytes(tag.diskSize ?? m.virtualSize);
    } else {
      n = Math.max(0, m.allocatedBytes - step.bytesToCopy);
    }
    byFs.set(m.fs ?? null, (byFs.get(m.fs ?? null) ?? 0) + n);
    total += n;
  }
  return { bytes: total, byFs };
}
