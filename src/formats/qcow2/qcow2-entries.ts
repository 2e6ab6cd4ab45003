// L1 and L2 table entries (docs/interop/qcow2.txt, "Cluster mapping"), as QEMU classifies them
// (block/qcow2.h qcow2_get_cluster_type): compressed first, then the zero flag, then offset 0.

export const OFLAG_COPIED = 1n << 63n;
export const OFLAG_COMPRESSED = 1n << 62n;
export const OFLAG_ZERO = 1n;
/** Bits 9..55: the host offset of an L2 table (in an L1 entry) or a data cluster (in an L2 entry). */
export const OFFSET_MASK = 0x00fffffffffffe00n;

/** What one standard (not extended) L2 entry says about its guest cluster. */
export type L2Entry =
  | { kind: 'hole' }
  | { kind: 'zero' }
  | { kind: 'normal'; offset: number }
  /** `offset` is a byte offset (not aligned); `length` the bytes QEMU reads to inflate it. */
  | { kind: 'compressed'; offset: number; length: number };

const HOLE: L2Entry = { kind: 'hole' };
const ZERO: L2Entry = { kind: 'zero' };

/** True when the entry falls through to the backing file: no data, no zero flag, not compressed. */
export function isHole(entry: bigint): boolean {
  return (entry & (OFLAG_COMPRESSED | OFLAG_ZERO | OFFSET_MASK)) === 0n;
}

export function decodeL2Entry(entry: bigint, clusterBits: number): L2Entry {
  if (entry & OFLAG_COMPRESSED) {
    // x = 62 - (cluster_bits - 8) low bits of host offset, then (cluster_bits - 8) bits of
    // "additional 512-byte sectors".
    const shift = BigInt(62 - (clusterBits - 8));
    const offset = Number(entry & ((1n << shift) - 1n));
    const sectors = Number((entry >> shift) & ((1n << BigInt(clusterBits - 8)) - 1n)) + 1;
    return { kind: 'compressed', offset, length: sectors * 512 - (offset % 512) };
  }
  if (entry & OFLAG_ZERO) return ZERO;
  const offset = Number(entry & OFFSET_MASK);
  return offset === 0 ? HOLE : { kind: 'normal', offset };
}

/** The L2 entry of a standard cluster at `offset`; COPIED exactly when its refcount is 1. */
export function normalL2Entry(offset: number, refcount: number): bigint {
  return BigInt(offset) | (refcount === 1 ? OFLAG_COPIED : 0n);
}

/** The L1 entry of an L2 table at `offset`; COPIED only in the active L1 and when its refcount is 1. */
export function l1Entry(offset: number, refcount: number, active: boolean): bigint {
  return BigInt(offset) | (active && refcount === 1 ? OFLAG_COPIED : 0n);
}

export function l2TableOffset(l1: bigint): number {
  return Number(l1 & OFFSET_MASK);
}
