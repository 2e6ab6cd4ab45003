import type { Fail } from './be-fields.js';
import type { HeadBytes } from './head-bytes.js';
import type { Qcow2Header } from './parse-qcow2-header.js';
import { align8, EXT_BACKING_FORMAT, EXT_END, MAX_BACKING_FILE_NAME, MAX_BACKING_FORMAT_NAME } from './qcow2-limits.js';

/** What qcow2 keeps in its first cluster besides the fixed header. Empty strings read as null. */
export interface HeaderExtras {
  backingFile: string | null;
  backingFormat: string | null;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Reads the backing file name and walks the header extensions (from the end of the header to
 * the backing file name, or to the end of the first cluster), skipping unknown types and stopping
 * at the end marker. Each step advances by at least 8 bytes inside a bounded area, so it ends.
 */
export async function readHeaderExtras(h: Qcow2Header, head: HeadBytes, fileSize: number, fail: Fail): Promise<HeaderExtras> {
  let backingFile: string | null = null;
  if (h.backingFileOffset !== 0) {
    if (h.backingFileOffset > h.clusterSize) throw fail(`backing file name offset ${h.backingFileOffset} is outside the first cluster`);
    if (h.backingFileSize > MAX_BACKING_FILE_NAME) {
      throw fail(`backing file name is too long (${h.backingFileSize} bytes; at most ${MAX_BACKING_FILE_NAME})`);
    }
    if (h.backingFileOffset + h.backingFileSize > h.clusterSize) throw fail('backing file name runs past the first cluster');
    const name = await head.slice(h.backingFileOffset, h.backingFileSize);
    if (!name) throw fail(`backing file name runs past the end of the file (${fileSize} bytes)`);
    backingFile = name.length ? name.toString('utf8') : null;
  }

  let backingFormat: string | null = null;
  const end = h.backingFileOffset !== 0 ? h.backingFileOffset : h.clusterSize;
  let offset = h.headerLength;
  while (offset < end) {
    const ext = await head.slice(offset, 8);
    if (!ext) throw fail(`header extension at offset ${offset} runs past the end of the file (${fileSize} bytes)`);
    const type = ext.readUInt32BE(0);
    const len = ext.readUInt32BE(4);
    offset += 8;
    if (offset > end || len > end - offset) throw fail(`header extension ${hex(type)} at offset ${offset - 8} is too large (${len} bytes)`);
    if (type === EXT_END) break;
    if (type === EXT_BACKING_FORMAT) {
      if (len > MAX_BACKING_FORMAT_NAME) throw fail(`backing format name is too long (${len} bytes; at most ${MAX_BACKING_FORMAT_NAME})`);
      const data = await head.slice(offset, len);
      if (!data) throw fail(`backing format extension runs past the end of the file (${fileSize} bytes)`);
      backingFormat = data.length ? data.toString('utf8') : null;
    }
    offset += align8(len);
  }
  return { backingFile, backingFormat };
}
