import type { FileAccess } from '../file-access.js';
import type { Fail } from './be-fields.js';
import type { Qcow2Header } from './parse-qcow2-header.js';

/** L1 tables up to this size are read to check where their L2 tables sit (a 32 TiB disk at 64 KiB clusters). */
const MAX_L1_READ_BYTES = 4 * 1024 * 1024;
/** Bits 9-55 of an L1 entry: the L2 table's offset (qcow2.txt). */
const L1_OFFSET_MASK = 0x00fffffffffffe00n;

/**
 * Throws when the image's metadata tables lie beyond the end of its file: the refcount table,
 * the L1 table, and every L2 table the L1 table points to. QEMU reads past the end as zeros, so
 * a truncated image opens and looks fine until guest data is missing; xensnap must not freeze
 * such an image into a snapshot. Reads the L1 table only (no data, no L2 table).
 */
export async function checkTableBounds(f: FileAccess, h: Qcow2Header, fileSize: number, fail: Fail): Promise<void> {
  const truncated = (what: string, end: number) =>
    fail(`truncated: ${what} ends at byte ${end}, past the end of the file (${fileSize} bytes)`);
  const refcountEnd = h.refcountTableOffset + h.refcountTableClusters * h.clusterSize;
  if (h.refcountTableClusters > 0 && refcountEnd > fileSize) throw truncated(`the refcount table (${h.refcountTableClusters} cluster${h.refcountTableClusters === 1 ? '' : 's'} at offset ${h.refcountTableOffset})`, refcountEnd);
  if (h.l1Size === 0) return;
  const l1Bytes = h.l1Size * 8;
  const l1End = h.l1TableOffset + l1Bytes;
  if (l1End > fileSize) throw truncated(`the L1 table (${h.l1Size} entries at offset ${h.l1TableOffset})`, l1End);
  if (l1Bytes > MAX_L1_READ_BYTES) return;
  const l1 = await f.read(h.l1TableOffset, l1Bytes);
  if (l1.length < l1Bytes) throw truncated(`the L1 table (${h.l1Size} entries at offset ${h.l1TableOffset})`, l1End);
  for (let i = 0; i < h.l1Size; i++) {
    const l2 = Number(l1.readBigUInt64BE(i * 8) & L1_OFFSET_MASK);
    if (l2 !== 0 && l2 + h.clusterSize > fileSize) throw truncated(`the L2 table of L1 entry ${i} (at offset ${l2})`, l2 + h.clusterSize);
  }
}
