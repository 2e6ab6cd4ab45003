import { FormatError } from '../../errors.js';
import { setBits, testBit } from './vhd-bitmap.js';
import { SECTOR } from './vhd-footer.js';
import type { VhdImage, VhdBlock } from './vhd-image.js';

function checkRange(img: VhdImage, offset: number, length: number): void {
  if (offset % SECTOR || length % SECTOR || offset < 0 || offset + length > img.layout.info.currentSize) {
    throw new RangeError(`${img.path}: I/O [${offset}, +${length}) is not sector-aligned inside the disk`);
  }
}

/** Splits a byte range into per-block pieces: block index, first sector in block, sector count, offset in range. */
function* pieces(img: VhdImage, offset: number, length: number): Generator<{ b: number; from: number; to: number; at: number }> {
  const spb = img.sectorsPerBlock;
  let s = offset / SECTOR;
  const end = (offset + length) / SECTOR;
  while (s < end) {
    const b = Math.floor(s / spb);
    const from = s - b * spb;
    const to = Math.min(spb, end - b * spb);
    yield { b, from, to, at: (s - offset / SECTOR) * SECTOR };
    s = b * spb + to;
  }
}

/**
 * Writes sectors into a leaf image (the way a guest would). Allocated blocks: data, sync, then
 * bitmap bits, sync. Unallocated blocks: appended whole (zero-filled around the data). Last, the
 * batmap bits of blocks now full (one batmap write).
 */
export async function writeVhdSectors(img: VhdImage, offset: number, data: Buffer): Promise<void> {
  checkRange(img, offset, data.length);
  const fresh: { index: number; block: VhdBlock }[] = [];
  const touched: { b: number; from: number; to: number }[] = [];
  for (const p of pieces(img, offset, data.length)) {
    const chunk = data.subarray(p.at, p.at + (p.to - p.from) * SECTOR);
    if (img.allocated(p.b)) {
      await img.writeBlockData(p.b, p.from, chunk);
      touched.push(p);
    } else {
      const block = { bitmap: img.newBitmap(p.from, p.to), data: Buffer.alloc(img.blockSize) };
      chunk.copy(block.data, p.from * SECTOR);
      fresh.push({ index: p.b, block });
    }
  }
  if (touched.length) {
    await img.sync();
    for (const t of touched) {
      const bm = Buffer.from((await img.readBlockBitmap(t.b)));
      setBits(bm, t.from, t.to);
      await img.writeBitmap(t.b, bm);
    }
    await img.sync();
  }
  await img.appendBlocks(fresh);
  await img.commitBatmap();
}

/**
 * Reads sectors as the chain composes them: `chain[0]` is the image read, each next one its
 * parent. A sector comes from the first image whose block holds it; none → zeros.
 */
export async function readVhdSectors(chain: VhdImage[], offset: number, length: number): Promise<Buffer> {
  const top = chain[0]!;
  checkRange(top, offset, length);
  const out = Buffer.alloc(length);
  for (const p of pieces(top, offset, length)) {
    const filled = new Uint8Array(p.to - p.from);
    let left = filled.length;
    for (const img of chain) {
      if (left === 0) break;
      if (img.blockSize !== top.blockSize) throw new FormatError(img.path, `block size ${img.blockSize} differs from its child's ${top.blockSize}`);
      if (p.b < img.blockCount && img.allocated(p.b)) {
        const blk = await img.readBlock(p.b);
        for (let s = p.from; s < p.to; s++) {
          if (filled[s - p.from] || (img.differencing && !testBit(blk.bitmap, s))) continue;
          blk.data.copy(out, p.at + (s - p.from) * SECTOR, s * SECTOR, (s + 1) * SECTOR);
          filled[s - p.from] = 1;
          left--;
        }
      }
      if (!img.differencing) break;
    }
  }
  return out;
}
