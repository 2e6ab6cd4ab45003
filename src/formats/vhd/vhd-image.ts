import { BugError, FormatError } from '../../errors.js';
import type { WritableFileAccess, FileAccess } from '../file-access.js';
import { VhdFile } from './vhd-file.js';
import { allSet, fullBitmap, setBit, setBits } from './vhd-bitmap.js';
import { batmapTest, buildBatmapHeader } from './vhd-batmap.js';
import { FOOTER_SIZE, SECTOR, UNUSED, resealFooter } from './vhd-footer.js';
import { readVhdLayout, type VhdLayout } from './vhd-info.js';

/** A block's sector bitmap and data, as read from or written to an image. */
export interface VhdBlock {
  bitmap: Buffer;
  data: Buffer;
  /** When set: bitmap and data back to back (views into it), written with no copy. */
  raw?: Buffer;
}

/**
 * One open dynamic or differencing VHD. Always: `layout` mirrors the file (BAT, footer offset);
 * every allocation writes data and the moved footer first, syncs, then the BAT (data before
 * metadata), so a crash leaks at most an unreferenced block. The batmap (when the image has one)
 * gains a block's bit in memory whenever a full bitmap is written for it, and reaches the file
 * only in commitBatmap, after the bitmaps and BAT entries it speaks for are durable: a bit on
 * disk always names an allocated, full block; a crash can only leave full blocks unmarked,
 * which blktap allows (tapdisk marks them itself when it fills them).
 */
export class VhdImage {
  private batmapDirty = false;

  private constructor(
    readonly f: FileAccess,
    readonly layout: VhdLayout,
    private readonly owned: boolean,
  ) {
    if (layout.info.diskType === 'fixed') throw new FormatError(f.name, 'fixed-size VHDs are not supported for block I/O');
  }

  static async over(f: FileAccess): Promise<VhdImage> {
    return new VhdImage(f, await readVhdLayout(f), false);
  }

  static async open(path: string, writable = false): Promise<VhdImage> {
    const f = await VhdFile.open(path, writable);
    try {
      const layout = await readVhdLayout(f);
      // As tapdisk (vhd_initialize_bat): no read-write open without the batmap blktap expects.
      if (writable && layout.batmapProblem) throw new FormatError(path, `${layout.batmapProblem}; blktap opens it read-only only, and so does xensnap`);
      return new VhdImage(f, layout, true);
    } catch (e) {
      await f.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.owned) await (this.f as VhdFile).close();
  }

  get path(): string {
    return this.f.name;
  }
  get differencing(): boolean {
    return this.layout.info.diskType === 'differencing';
  }
  get blockSize(): number {
    return this.layout.info.blockSize;
  }
  get sectorsPerBlock(): number {
    return this.layout.info.blockSize / SECTOR;
  }
  get blockCount(): number {
    return Math.ceil(this.layout.info.currentSize / this.layout.info.blockSize);
  }
  allocated(b: number): boolean {
    return this.layout.bat[b] !== UNUSED;
  }

  private get w(): WritableFileAccess {
    const f = this.f as Partial<WritableFileAccess>;
    if (typeof f.write !== 'function') throw new BugError(`${this.path} is not open for writing`);
    return this.f as WritableFileAccess;
  }

  /** Bitmap and whole data of an allocated block, in one read. */
  async readBlock(b: number): Promise<VhdBlock> {
    const { bitmapSize } = this.layout;
    const buf = await this.f.read(this.layout.bat[b]! * SECTOR, bitmapSize + this.blockSize);
    return { bitmap: buf.subarray(0, bitmapSize), data: buf.subarray(bitmapSize) };
  }

  async readBlockBitmap(b: number): Promise<Buffer> {
    return this.f.read(this.layout.bat[b]! * SECTOR, this.layout.bitmapSize);
  }

  /** A block's bitmap for reading: dynamic disks hold every sector of an allocated block. */
  effectiveBitmap(block: VhdBlock): Buffer {
    return this.differencing ? block.bitmap : fullBitmap(this.layout.bitmapSize, this.sectorsPerBlock);
  }

  /** A fresh bitmap for a new block holding sectors [from, to): all set on dynamic disks. */
  newBitmap(from: number, to: number): Buffer {
    if (!this.differencing) return fullBitmap(this.layout.bitmapSize, this.sectorsPerBlock);
    const bm = Buffer.alloc(this.layout.bitmapSize);
    setBits(bm, from, to);
    return bm;
  }

  /**
   * Makes room for `bytes` before the footer: writes the footer at the new end first and syncs,
   * so a valid footer ends the file at every moment; the room (and the old footer in it) is
   * unreferenced space until a BAT entry or header names what is later written there.
   */
  async extend(bytes: number): Promise<number> {
    if (bytes % SECTOR) throw new BugError('extend needs whole sectors');
    const start = this.layout.footerOffset;
    await this.w.write(start + bytes, this.layout.footer.raw);
    await this.w.sync();
    this.layout.footerOffset = start + bytes;
    this.layout.fileSize = this.layout.footerOffset + FOOTER_SIZE;
    return start;
  }

  /**
   * Appends new blocks: room (footer moved, sync), the blocks, sync, then the BAT entries, sync.
   * Before the BAT write the new blocks are only leaked space.
   */
  async appendBlocks(blocks: { index: number; block: VhdBlock }[]): Promise<void> {
    if (blocks.length === 0) return;
    const per = this.layout.bitmapSize + this.blockSize;
    const start = await this.extend(blocks.length * per);
    const placed = blocks.map(({ index, block }, i) => ({ index, sector: (start + i * per) / SECTOR, block }));
    await this.writeBlocksAt(placed);
    await this.w.sync();
    await this.setBatEntries(placed);
    await this.w.sync();
    await this.commitBatmap();
  }

  /** Writes whole blocks (bitmap + data) at sectors inside room made by `extend`; no sync. */
  async writeBlocksAt(placed: { index: number; sector: number; block: VhdBlock }[]): Promise<void> {
    const { bitmapSize } = this.layout;
    const per = bitmapSize + this.blockSize;
    for (const { index, block } of placed) this.noteBitmap(index, block.bitmap);
    // Independent positional writes: issued together so the I/O thread pool copies in parallel.
    await Promise.all(
      placed.map(({ sector, block }) => {
        const raw = block.raw?.length === per ? block.raw : Buffer.concat([block.bitmap.subarray(0, bitmapSize), block.data.subarray(0, this.blockSize)]);
        return this.w.write(sector * SECTOR, raw);
      }),
    );
  }

  /** Points BAT entries at blocks written (and synced) by writeBlocksAt; no sync. */
  async setBatEntries(placed: { index: number; sector: number }[]): Promise<void> {
    if (placed.length === 0) return;
    for (const { index, sector } of placed) {
      if (this.allocated(index)) throw new BugError(`block ${index} of ${this.path} is already allocated`);
      this.layout.bat[index] = sector;
    }
    await this.writeBatEntries(placed.map((p) => p.index));
  }

  /** Writes parent locator data inside the metadata area, in order, then syncs. */
  async writeLocatorData(writes: { offset: number; data: Buffer }[]): Promise<void> {
    for (const { offset, data } of writes) await this.w.write(offset, data);
    await this.w.sync();
  }

  /** Writes the dynamic header (raw, already resealed) and syncs. */
  async writeHeader(raw: Buffer): Promise<void> {
    await this.w.write(this.layout.footer.dataOffset!, raw);
    await this.w.sync();
  }

  private async writeBatEntries(indexes: number[]): Promise<void> {
    const lo = Math.min(...indexes);
    const hi = Math.max(...indexes);
    const buf = Buffer.alloc((hi - lo + 1) * 4);
    for (let i = lo; i <= hi; i++) buf.writeUInt32BE(this.layout.bat[i]!, (i - lo) * 4);
    await this.w.write(this.layout.info.batOffset + lo * 4, buf);
  }

  /** Overwrites data sectors [from, to) of an allocated block (no sync). */
  async writeBlockData(b: number, from: number, data: Uint8Array): Promise<void> {
    await this.w.write(this.layout.bat[b]! * SECTOR + this.layout.bitmapSize + from * SECTOR, data);
  }

  async writeBitmap(b: number, bitmap: Buffer): Promise<void> {
    await this.w.write(this.layout.bat[b]! * SECTOR, bitmap.subarray(0, this.layout.bitmapSize));
    this.noteBitmap(b, bitmap);
  }

  /**
   * Sets block `b`'s batmap bit in memory when `bitmap` (as on disk, about to be synced) holds
   * every sector of it; committed by commitBatmap.
   */
  noteBitmap(b: number, bitmap: Uint8Array): void {
    const bm = this.layout.batmap;
    if (!bm || batmapTest(bm, b) || b >= bm.map.length * 8 || b >= bm.sizeSectors * SECTOR * 8) return;
    if (!allSet(bitmap, this.sectorsPerBlock)) return;
    setBit(bm.map, b);
    this.batmapDirty = true;
  }

  /**
   * Writes the batmap once, if any bit was set since the last commit: header (new checksum) and
   * map in one write when they are adjacent, as vhd-util lays them out; then syncs. Call it only
   * once the bitmaps and BAT entries written since are synced.
   */
  async commitBatmap(): Promise<void> {
    const bm = this.layout.batmap;
    if (!bm || !this.batmapDirty) return;
    const header = buildBatmapHeader(bm, bm.raw);
    if (bm.offset === bm.headerOffset + header.length) {
      await this.w.write(bm.headerOffset, Buffer.concat([header, bm.map]));
    } else {
      await this.w.write(bm.offset, bm.map);
      await this.w.write(bm.headerOffset, header);
    }
    await this.w.sync();
    bm.raw = header;
    this.batmapDirty = false;
  }

  /** Rewrites the footer at the end and its copy at 0 after `edit` changed the raw bytes. */
  async rewriteFooters(edit: (raw: Buffer) => void): Promise<void> {
    const raw = Buffer.from(this.layout.footer.raw);
    edit(raw);
    resealFooter(raw);
    await this.w.write(this.layout.footerOffset, raw);
    await this.w.sync();
    await this.w.write(0, raw);
    await this.w.sync();
    this.layout.footer.raw = raw;
  }

  async sync(): Promise<void> {
    await this.w.sync();
  }
}
