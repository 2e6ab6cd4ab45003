import { open, type FileHandle } from 'node:fs/promises';
import type { WritableFileAccess } from '../file-access.js';

const PIECE = 4 * 1024 * 1024;

/**
 * A file for bulk VHD I/O: like NodeFileAccess, but reads into uninitialised buffers (every byte
 * returned was read; a short read at end of file is cut) because merges read hundreds of MiB.
 */
export class VhdFile implements WritableFileAccess {
  private constructor(
    readonly name: string,
    private readonly fh: FileHandle,
  ) {}
  static async open(path: string, writable = false): Promise<VhdFile> {
    return new VhdFile(path, await open(path, writable ? 'r+' : 'r'));
  }
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    // Large reads go out as parallel 4 MiB pieces; the result is cut at the first short piece.
    const pieces: Promise<number>[] = [];
    for (let at = 0; at < length || at === 0; at += PIECE) pieces.push(this.readPiece(buf, at, Math.min(PIECE, length - at), offset + at));
    let got = 0;
    for (const [i, n] of (await Promise.all(pieces)).entries()) {
      got = i * PIECE + n;
      if (n < Math.min(PIECE, length - i * PIECE)) break;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
  private async readPiece(buf: Buffer, at: number, length: number, offset: number): Promise<number> {
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, at + got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }
  async truncate(length: number): Promise<void> {
    await this.fh.truncate(length);
  }
  async sync(): Promise<void> {
    await this.fh.sync();
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}
