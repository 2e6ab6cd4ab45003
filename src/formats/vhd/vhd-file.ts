import { open } from 'node:fs/promises';
import { NodeFileAccess } from '../file-access.js';

const PIECE = 4 * 1024 * 1024;

/**
 * A file for bulk VHD I/O: NodeFileAccess, but reads into uninitialised buffers (every byte
 * returned was read; a short read at end of file is cut) because merges read hundreds of MiB.
 */
export class VhdFile extends NodeFileAccess {
  static override async open(path: string, writable = false): Promise<VhdFile> {
    return new VhdFile(path, await open(path, writable ? 'r+' : 'r'));
  }
  override async read(offset: number, length: number): Promise<Buffer> {
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
}
