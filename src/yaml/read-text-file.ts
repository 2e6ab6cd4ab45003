import { open, stat } from 'node:fs/promises';
import { decodeText } from './decode-text.js';
import { formatByteCap, YAML_LIMITS } from './limits.js';
import type { Diagnostic } from '../model/diagnostic.js';

/** The text of a file, or exactly one diagnostic saying why it cannot be used. */
export type ReadTextResult = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

/** Human text for the errno codes a user can cause; anything else keeps its message. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'symlink loop (too many levels of symbolic links)';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.message ?? String(err);
  }
}

/**
 * Reads a small UTF-8 text file. The size cap is checked with stat before any byte is read,
 * and the read itself is bounded, so a huge (or growing) file is never loaded whole.
 * Never throws on anything the file system or the file's content can do.
 */
export async function readTextFile(file: string, maxBytes: number = YAML_LIMITS.maxBytes): Promise<ReadTextResult> {
  const fail = (message: string, line = 1, col = 1): ReadTextResult => ({
    ok: false,
    diagnostic: { file, line, col, path: '', message },
  });
  const tooBig = (size: string) =>
    fail(`file is too large (${size} bytes); the limit is ${maxBytes} bytes (${formatByteCap(maxBytes)})`);
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return fail(st.isDirectory() ? 'is a directory' : 'not a regular file');
    size = st.size;
  } catch (err) {
    return fail(`cannot read: ${describeFsError(err)}`);
  }
  if (size > maxBytes) return tooBig(String(size));
  let bytes: Uint8Array;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(maxBytes + 1);
      let got = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
        if (got > maxBytes) return tooBig(`more than ${maxBytes}`); // it grew after stat
      }
      bytes = buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  } catch (err) {
    return fail(`cannot read: ${describeFsError(err)}`);
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) return fail(decoded.problem, decoded.position.line, decoded.position.col);
  return { ok: true, text: decoded.text };
}
