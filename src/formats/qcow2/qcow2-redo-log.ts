import { createHash } from 'node:crypto';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FormatError } from '../../errors.js';
import { fsyncDir } from '../../util/atomic-file.js';
import type { MetadataWrite } from './qcow2-staged-writes.js';

// The redo log of one merge batch, in its own file. Header (written and made durable before the
// batch writes anything): magic, version, child path, the child's length before the batch, a
// SHA-256 of those. Body (appended once the batch's new clusters are durable): the length after
// them, the metadata writes (absolute offset, bytes), a SHA-256 of header and body, an end magic.
// A log whose body does not check out is torn: none of its writes were applied.

const MAGIC = Buffer.from('XSQ2REDO', 'latin1');
const END = Buffer.from('XSQ2DONE', 'latin1');
const VERSION = 1;
const FIXED = 24;
const HASH = 32;

/** What a redo log file says. `torn-header`: the batch had not started writing the child. */
export type RedoLogState =
  | { state: 'absent' }
  | { state: 'torn-header' }
  | { state: 'torn'; child: string; originalLength: number }
  | { state: 'complete'; child: string; originalLength: number; newLength: number; writes: MetadataWrite[] };

const sha = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

async function writeAll(fh: FileHandle, data: Buffer, at: number): Promise<void> {
  for (let done = 0; done < data.length; ) done += (await fh.write(data, done, data.length - done, at + done)).bytesWritten;
}

/** An open redo log, from `begin` (header durable) to `commit` (body durable). */
export class RedoLog {
  private constructor(
    private readonly fh: FileHandle,
    private readonly header: Buffer,
  ) {}

  /** Creates the log (refusing to replace one), writes the header, fsyncs it and its directory. */
  static async begin(path: string, child: string, originalLength: number): Promise<RedoLog> {
    const name = Buffer.from(child, 'utf8');
    const fixed = Buffer.alloc(FIXED);
    MAGIC.copy(fixed, 0);
    fixed.writeUInt32BE(VERSION, 8);
    fixed.writeUInt32BE(name.length, 12);
    fixed.writeBigUInt64BE(BigInt(originalLength), 16);
    const header = Buffer.concat([fixed, name, sha(fixed, name)]);
    const fh = await open(path, 'wx', 0o600);
    try {
      await writeAll(fh, header, 0);
      await fh.sync();
      await fsyncDir(dirname(path));
    } catch (e) {
      await fh.close();
      throw e;
    }
    return new RedoLog(fh, header);
  }

  /** Appends the body and fsyncs it; `midway` runs after the first half is written (test hook). */
  async commit(newLength: number, writes: MetadataWrite[], midway?: () => void): Promise<void> {
    const head = Buffer.alloc(12);
    head.writeBigUInt64BE(BigInt(newLength), 0);
    head.writeUInt32BE(writes.length, 8);
    const parts: Buffer[] = [head];
    for (const w of writes) {
      const e = Buffer.alloc(12);
      e.writeBigUInt64BE(BigInt(w.offset), 0);
      e.writeUInt32BE(w.bytes.length, 8);
      parts.push(e, w.bytes);
    }
    const body = Buffer.concat(parts);
    const tail = Buffer.concat([sha(this.header, body), END]);
    const half = body.length >> 1;
    await writeAll(this.fh, body.subarray(0, half), this.header.length);
    midway?.();
    await writeAll(this.fh, Buffer.concat([body.subarray(half), tail]), this.header.length + half);
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Reads a redo log; a file that is not one (and not a torn start of one) is a FormatError. */
export async function readRedoLog(path: string): Promise<RedoLogState> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw e;
  }
  const prefix = buf.subarray(0, MAGIC.length);
  if (!MAGIC.subarray(0, prefix.length).equals(prefix) && prefix.some((b) => b !== 0)) throw new FormatError(path, 'not a xensnap qcow2 redo log');
  if (buf.length < FIXED) return { state: 'torn-header' };
  const nameLen = buf.readUInt32BE(12);
  const headerLen = FIXED + nameLen + HASH;
  if (buf.length < headerLen || !sha(buf.subarray(0, FIXED + nameLen)).equals(buf.subarray(FIXED + nameLen, headerLen))) return { state: 'torn-header' };
  if (buf.readUInt32BE(8) !== VERSION) throw new FormatError(path, `redo log version ${buf.readUInt32BE(8)} is not ${VERSION}`);
  const child = buf.toString('utf8', FIXED, FIXED + nameLen);
  const originalLength = Number(buf.readBigUInt64BE(16));
  const torn = { state: 'torn' as const, child, originalLength };

  const bodyEnd = buf.length - HASH - END.length;
  if (bodyEnd < headerLen + 12 || !buf.subarray(buf.length - END.length).equals(END)) return torn;
  if (!sha(buf.subarray(0, headerLen), buf.subarray(headerLen, bodyEnd)).equals(buf.subarray(bodyEnd, bodyEnd + HASH))) return torn;
  const newLength = Number(buf.readBigUInt64BE(headerLen));
  const count = buf.readUInt32BE(headerLen + 8);
  const writes: MetadataWrite[] = [];
  let at = headerLen + 12;
  for (let n = 0; n < count; n++) {
    if (at + 12 > bodyEnd) throw new FormatError(path, 'redo log entries run past its checksum');
    const offset = Number(buf.readBigUInt64BE(at));
    const len = buf.readUInt32BE(at + 8);
    if (at + 12 + len > bodyEnd) throw new FormatError(path, 'redo log entries run past its checksum');
    writes.push({ offset, bytes: buf.subarray(at + 12, at + 12 + len) });
    at += 12 + len;
  }
  return { state: 'complete', child, originalLength, newLength, writes };
}

/** Removes the log and makes the removal durable (a missing log is fine). */
export async function removeRedoLog(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await fsyncDir(dirname(path));
}
