import type { FileAccess } from '../file-access.js';

/**
 * The first bytes of a file, read once and grown on demand up to a fixed limit (the first
 * cluster, clamped to the file size). Growth at least doubles, so a walk over the area costs
 * a handful of reads whatever the image says.
 */
export class HeadBytes {
  private constructor(
    private readonly f: FileAccess,
    private buf: Buffer,
    readonly limit: number,
  ) {}

  /** Asks for the file size and the first bytes at once (two I/O round trips overlap). */
  static async loadWithSize(f: FileAccess, initial: number): Promise<{ head: HeadBytes; fileSize: number }> {
    const [fileSize, bytes] = await Promise.all([f.size(), f.read(0, initial)]);
    // `read` returns fewer bytes only at the end of the file; clamp in case the file changed.
    const limit = Math.min(fileSize, bytes.length < initial ? bytes.length : fileSize);
    return { head: new HeadBytes(f, bytes.subarray(0, Math.min(bytes.length, limit)), limit), fileSize };
  }

  /** The same bytes with a lower limit (e.g. the first cluster once its size is known). */
  withLimit(limit: number): HeadBytes {
    const l = Math.min(limit, this.limit);
    return new HeadBytes(this.f, this.buf.subarray(0, Math.min(l, this.buf.length)), l);
  }

  get bytes(): Buffer {
    return this.buf;
  }

  /** Bytes [offset, offset + length), or null when they lie beyond the limit or the file's end. */
  async slice(offset: number, length: number): Promise<Buffer | null> {
    const end = offset + length;
    if (end > this.limit) return null;
    if (end > this.buf.length && this.buf.length < this.limit) {
      this.buf = await this.f.read(0, Math.min(this.limit, Math.max(end, this.buf.length * 2)));
    }
    if (end > this.buf.length) return null;
    return this.buf.subarray(offset, end);
  }
}
