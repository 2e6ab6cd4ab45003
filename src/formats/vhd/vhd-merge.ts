import { FormatError } from '../../errors.js';
import { bitRuns, fullBitmap } from './vhd-bitmap.js';
import { SECTOR } from './vhd-footer.js';
import type { VhdBlock, VhdImage } from './vhd-image.js';

/** Blocks per batch: 16 × 2 MiB keeps I/O large and memory bounded (~70 MiB). */
const BATCH = 16;

export interface MergeOptions {
  /** 'source': the source's sectors overwrite the target's (commit). 'target': the target keeps its own (stream). */
  winner: 'source' | 'target';
  progress?: (done: number, total: number) => void;
}

export interface MergeResult {
  blocks: number;
  bytes: number;
}

/**
 * Copies every sector `src` holds (its bitmaps; all sectors of an allocated dynamic block) into
 * `dst`, allocating `dst` blocks as needed, in two phases: all data (new blocks after the end,
 * changed sectors in place), sync; then every bitmap and BAT entry that names it, sync. A crash in
 * phase 1 leaves `dst` reading as before (plus leaked space); in phase 2, a partial merge in which
 * every named sector holds its final data (re-running the merge finishes it).
 */
export async function mergeVhdBlocks(src: VhdImage, dst: VhdImage, opts: MergeOptions): Promise<MergeResult> {
  if (src.blockSize !== dst.blockSize) throw new FormatError(dst.path, `block size ${dst.blockSize} differs from ${src.path}'s ${src.blockSize}`);
  if (src.layout.info.currentSize !== dst.layout.info.currentSize) {
    throw new FormatError(dst.path, `size ${dst.layout.info.currentSize} differs from ${src.path}'s ${src.layout.info.currentSize}`);
  }
  const todo: number[] = [];
  for (let b = 0; b < src.blockCount; b++) if (src.allocated(b)) todo.push(b);
  const result: MergeResult = { blocks: 0, bytes: 0 };
  const placed: { index: number; sector: number }[] = [];
  const bitmaps: { index: number; bitmap: Buffer }[] = [];
  // Room for every block dst lacks, made first so the file always ends in a valid footer.
  const per = dst.layout.bitmapSize + dst.blockSize;
  const fresh = todo.filter((b) => !dst.allocated(b));
  const start = fresh.length ? await dst.extend(fresh.length * per) : 0;
  const home = new Map(fresh.map((b, i) => [b, (start + i * per) / SECTOR]));
  opts.progress?.(0, todo.length);
  // Read the next batch while this one is written and synced (the thread pool overlaps them).
  let pending = todo.length ? readBlocks(src, todo.slice(0, BATCH)) : null;
  for (let i = 0; i < todo.length; i += BATCH) {
    const batch = todo.slice(i, i + BATCH);
    const blocks = await pending!;
    pending = i + BATCH < todo.length ? readBlocks(src, todo.slice(i + BATCH, i + 2 * BATCH)) : null;
    pending?.catch(() => {}); // surfaced when awaited
    const written: { index: number; sector: number; block: VhdBlock }[] = [];
    const updated: { index: number; block: VhdBlock }[] = [];
    for (const [k, b] of batch.entries()) {
      const s = blocks[k]!;
      const srcBm = src.effectiveBitmap(s);
      const runs = bitRuns(srcBm, src.sectorsPerBlock);
      if (runs.length === 0) continue;
      const full = runs.length === 1 && runs[0]![0] === 0 && runs[0]![1] === src.sectorsPerBlock;
      if (!dst.allocated(b)) {
        // The read buffer becomes the new block in place: zero what src does not hold, set the bitmap.
        let at = 0;
        for (const [a, z] of runs) {
          s.data.fill(0, at * SECTOR, a * SECTOR);
          at = z;
        }
        s.data.fill(0, at * SECTOR);
        const bitmap = dst.differencing ? srcBm : fullBitmap(dst.layout.bitmapSize, dst.sectorsPerBlock);
        if (bitmap !== s.bitmap) bitmap.copy(s.bitmap);
        written.push({ index: b, sector: home.get(b)!, block: s });
        result.bytes += runs.reduce((n, [a, z]) => n + (z - a) * SECTOR, 0);
        continue;
      }
      const d = opts.winner === 'source' && full && dst.differencing
        ? { bitmap: Buffer.alloc(dst.layout.bitmapSize), data: s.data }
        : await dst.readBlock(b);
      const dstBm = Buffer.from(dst.effectiveBitmap(d));
      const data = Buffer.from(d.data);
      let changed = 0;
      for (const [a, z] of runs) {
        for (const [x, y] of opts.winner === 'source' ? [[a, z]] : bitRuns(dstBm, z, false).filter(([, e]) => e > a)) {
          const from = Math.max(a, x!);
          const to = Math.min(z, y!);
          if (from >= to) continue;
          s.data.copy(data, from * SECTOR, from * SECTOR, to * SECTOR);
          changed += to - from;
        }
      }
      if (changed === 0) {
        // nothing to copy, but a full block an interrupted run left unmarked gets its batmap bit
        dst.noteBitmap(b, d.bitmap);
        continue;
      }
      for (const [a, z] of runs) for (let x = a; x < z; x++) dstBm[x >> 3] = dstBm[x >> 3]! | (1 << (7 - (x & 7)));
      updated.push({ index: b, block: { bitmap: dst.differencing ? dstBm : d.bitmap, data } });
      result.bytes += changed * SECTOR;
    }
    for (const u of updated) {
      await dst.writeBlockData(u.index, 0, u.block.data);
      bitmaps.push({ index: u.index, bitmap: Buffer.from(u.block.bitmap) });
    }
    await dst.writeBlocksAt(written);
    placed.push(...written.map(({ index, sector }) => ({ index, sector })));
    result.blocks += written.length + updated.length;
    opts.progress?.(Math.min(i + BATCH, todo.length), todo.length);
  }
  // Data before metadata: all data durable, then bitmaps and BAT entries, then those durable.
  await dst.sync();
  for (const { index, bitmap } of bitmaps) await dst.writeBitmap(index, bitmap);
  await dst.setBatEntries(placed);
  await dst.sync();
  // Then the batmap bits of blocks made full, in one write, once what they speak for is durable.
  await dst.commitBatmap();
  return result;
}

/** Reads blocks, one read per run of physically adjacent blocks. */
async function readBlocks(img: VhdImage, indexes: number[]): Promise<VhdBlock[]> {
  const per = img.layout.bitmapSize + img.blockSize;
  const order = [...indexes.keys()].sort((x, y) => img.layout.bat[indexes[x]!]! - img.layout.bat[indexes[y]!]!);
  const out: VhdBlock[] = new Array(indexes.length);
  let k = 0;
  while (k < order.length) {
    let n = 1;
    const first = img.layout.bat[indexes[order[k]!]!]! * SECTOR;
    while (k + n < order.length && img.layout.bat[indexes[order[k + n]!]!]! * SECTOR === first + n * per) n++;
    const buf = await img.f.read(first, n * per);
    if (buf.length < n * per) throw new FormatError(img.path, 'block lies beyond the end of the file');
    for (let j = 0; j < n; j++) {
      const at = j * per;
      out[order[k + j]!] = { bitmap: buf.subarray(at, at + img.layout.bitmapSize), data: buf.subarray(at + img.layout.bitmapSize, at + per), raw: buf.subarray(at, at + per) };
    }
    k += n;
  }
  return out;
}
