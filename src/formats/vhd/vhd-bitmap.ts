/** VHD sector bitmaps: bit i (sector i of the block) is bit 7-(i%8) of byte i/8 (MSB first). */
export function testBit(bm: Uint8Array, i: number): boolean {
  return ((bm[i >> 3]! >> (7 - (i & 7))) & 1) === 1;
}

export function setBit(bm: Uint8Array, i: number): void {
  bm[i >> 3] = bm[i >> 3]! | (1 << (7 - (i & 7)));
}

/** Sets bits [from, to). */
export function setBits(bm: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) setBit(bm, i);
}

/** A bitmap of `size` bytes with the first `sectors` bits set. */
export function fullBitmap(size: number, sectors: number): Buffer {
  const bm = Buffer.alloc(size);
  bm.fill(0xff, 0, sectors >> 3);
  for (let i = sectors & ~7; i < sectors; i++) setBit(bm, i);
  return bm;
}

/** Maximal runs [start, end) of sectors whose bit equals `value`, within [0, sectors). */
export function bitRuns(bm: Uint8Array, sectors: number, value = true): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < sectors) {
    // skip whole bytes quickly
    const byte = bm[i >> 3]!;
    if ((i & 7) === 0 && i + 8 <= sectors && byte === (value ? 0 : 0xff)) {
      i += 8;
      continue;
    }
    if (testBit(bm, i) !== value) {
      i++;
      continue;
    }
    const start = i;
    while (i < sectors && testBit(bm, i) === value) i++;
    runs.push([start, i]);
  }
  return runs;
}

/** Whether bits [0, sectors) are all set. */
export function allSet(bm: Uint8Array, sectors: number): boolean {
  const whole = sectors >> 3;
  for (let i = 0; i < whole; i++) if (bm[i] !== 0xff) return false;
  for (let i = whole << 3; i < sectors; i++) if (!testBit(bm, i)) return false;
  return true;
}
