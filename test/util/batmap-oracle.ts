// An independent recomputation of blktap's batmap from the raw bytes of a VHD (no xensnap code):
// which blocks are allocated with a sector bitmap of all ones, against the bits stored.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { checkVhd } from '../../src/formats/vhd/vhd-check.js';
import { vhdUtilProblem } from './vhd-util.js';

/**
 * Every way the stored batmap disagrees with the blocks: a set bit for a block that is not both
 * allocated and full is always wrong; with `exact` (xensnap's own images, which mark every full
 * block at once), so is a clear bit for a full block. A `tap` ≥ 1.2 image without one is wrong.
 */
export async function batmapMismatches(path: string, exact = true): Promise<string[]> {
  const b = await readFile(path);
  const f = b.subarray(b.length - 512);
  const type = f.readUInt32BE(60);
  if (type !== 3 && type !== 4) return [];
  const tap = f.toString('latin1', 28, 31) === 'tap' && f.readUInt32BE(32) >= 0x00010002;
  const size = Number(f.readBigUInt64BE(48));
  const h = b.subarray(Number(f.readBigUInt64BE(16)), Number(f.readBigUInt64BE(16)) + 1024);
  const batOffset = Number(h.readBigUInt64BE(16));
  const entries = h.readUInt32BE(28);
  const blockSize = h.readUInt32BE(32);
  const at = batOffset + Math.ceil((entries * 4) / 512) * 512;
  if (b.toString('latin1', at, at + 8) !== 'tdbatmap') return tap ? [`no batmap header at ${at}`] : [];
  const out: string[] = [];
  const mapAt = Number(b.readBigUInt64BE(at + 8));
  const mapBytes = Math.max(1, Math.ceil(Math.floor(size / 2 ** 24) / 512)) * 512;
  const map = b.subarray(mapAt, mapAt + mapBytes);
  let sum = 0;
  for (const x of map) sum += x;
  if ((~sum >>> 0) !== b.readUInt32BE(at + 24)) out.push('batmap checksum');
  const spb = blockSize / 512;
  for (let i = 0; i < Math.ceil(size / blockSize); i++) {
    const e = b.readUInt32BE(batOffset + i * 4);
    let full = e !== 0xffffffff;
    for (let s = 0; full && s < spb; s++) full = ((b[e * 512 + (s >> 3)]! >> (7 - (s & 7))) & 1) === 1;
    const bit = i < mapBytes * 8 && ((map[i >> 3]! >> (7 - (i & 7))) & 1) === 1;
    if (bit && !full) out.push(`block ${i}: batmap bit set, block ${e === 0xffffffff ? 'unallocated' : 'not full'}`);
    if (exact && full && !bit && i < mapBytes * 8) out.push(`block ${i}: full, batmap bit clear`);
  }
  return out;
}

/** xensnap's checker, blktap's `vhd-util check` and the batmap recomputation all find `path` sound. */
export async function assertVhdSound(path: string, note = path, exactBatmap = true): Promise<void> {
  assert.deepEqual(await checkVhd(path), [], `${note}: checkVhd`);
  assert.equal(await vhdUtilProblem(path), null, `${note}: vhd-util check`);
  assert.deepEqual(await batmapMismatches(path, exactBatmap), [], `${note}: batmap`);
}
