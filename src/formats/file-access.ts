import { open, type FileHandle } from 'node:fs/promises';

/**
 * Random read access to a binary image. Readers take this, not paths, so they are pure over
 * bytes and can be tested on buffers. `read` returns fewer bytes only at end of file.
 */
export interface FileAccess {
  readonly name: string;
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Buffer>;
}

/** Writable access, for formats xensnap writes natively (VHD). */
export interface WritableFileAccess extends FileAccess {
  write(offset: number, data: Uint8Array): Promise<void>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
}

export class BufferFileAccess implements WritableFileAccess {
  constructor(
    readonly name: string,
    public buf: Buffer,
  ) {}
  async size(): Promise<number> {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return Buffer.from(this.buf.subarray(offset, Math.min(offset + length, this.buf.length)));
  }
  async write(offset: number, data: Uint8Array): Promise<void> {
    const end = offset + data.length;
    if (end > this.buf.length) {
      const grown = Buffer.alloc(end);
      this.buf.copy(grown);
      this.buf = grown;
    }
    Buffer.from(data.buffer, data.byteOffset, data.length).copy(this.buf, offset);
  }
  async truncate(length: number): Promise<void> {
    const next = Buffer.alloc(length);
    this.buf.copy(next, 0, 0, Math.min(length, this.buf.length));
    this.buf = next;
  }
  async sync(): Promise<void> {}
}

/** A file on disk. Close it when done. */
export class NodeFileAccess implements WritableFileAccess {
  protected constructor(
    readonly name: string,
    protected readonly fh: FileHandle,
  ) {}
  static async open(path: string, writable = false): Promise<NodeFileAccess> {
    return new NodeFileAccess(path, await open(path, writable ? 'r+' : 'r'));
  }
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
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

/** Opens a file, runs `fn`, closes it whatever happens. */
export async function withFile<T>(path: string, fn: (f: NodeFileAccess) => Promise<T>, writable = false): Promise<T> {
  const f = await NodeFileAccess.open(path, writable);
  try {
    return await fn(f);
  } finally {
    await f.close();
  }
}
