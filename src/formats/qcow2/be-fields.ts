/** Builds the error for one problem of one file; readers throw what it returns. */
export type Fail = (problem: string) => Error;

/**
 * Reads a big-endian u64 that must fit a JS number exactly (≤ 2^53 - 1). Sizes and offsets in
 * real images are far below that; a larger value can only come from a corrupt image.
 */
export function u64(buf: Buffer, offset: number, what: string, fail: Fail): number {
  const v = buf.readBigUInt64BE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} is out of range (${v})`);
  return Number(v);
}
