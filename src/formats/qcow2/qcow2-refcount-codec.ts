// Refcount block entries of every width qcow2 allows: refcount_bits = 2^order, order 0..6
// (1..64 bits). Sub-byte widths pack entries from the least significant bit of each byte;
// 8..64-bit entries are big-endian (docs/interop/qcow2.txt, "Host cluster management").

export const MAX_REFCOUNT_ORDER = 6;

/** Entries in one refcount block of `clusterSize` bytes. */
export function refcountsPerBlock(clusterSize: number, order: number): number {
  return (clusterSize * 8) >> order;
}

/** The largest refcount an entry holds (for 64-bit entries, the largest exact JS integer). */
export function refcountMax(order: number): number {
  return order === 6 ? Number.MAX_SAFE_INTEGER : 2 ** (1 << order) - 1;
}

export function getRefcount(block: Buffer, index: number, order: number): number {
  if (order < 3) {
    const bits = 1 << order;
    const bit = index * bits;
    return (block[bit >> 3]! >> (bit & 7)) & ((1 << bits) - 1);
  }
  const width = 1 << (order - 3);
  if (width < 8) return block.readUIntBE(index * width, width);
  const v = block.readBigUInt64BE(index * 8);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Sets one entry; `value` must be ≤ refcountMax(order). Returns the byte range it touched. */
export function setRefcount(block: Buffer, index: number, order: number, value: number): { at: number; length: number } {
  if (order < 3) {
    const bits = 1 << order;
    const bit = index * bits;
    const mask = ((1 << bits) - 1) << (bit & 7);
    const at = bit >> 3;
    block[at] = (block[at]! & ~mask) | ((value << (bit & 7)) & mask);
    return { at, length: 1 };
  }
  const width = 1 << (order - 3);
  if (width < 8) block.writeUIntBE(value, index * width, width);
  else block.writeBigUInt64BE(BigInt(value), index * 8);
  return { at: index * width, length: width };
}
