import type { FileAccess } from '../file-access.js';
import type { InternalSnapshotInfo } from '../../model/observed.js';
import { type Fail, u64 } from './be-fields.js';
import type { Qcow2Header } from './parse-qcow2-header.js';
import { align8, MAX_SNAPSHOT_EXTRA_DATA, MAX_SNAPSHOT_TABLE_BYTES, SNAPSHOT_ENTRY_FIXED } from './qcow2-limits.js';

// A guess at the table size that covers typical entries (40 + 24 extra + id + a short name) in
// one read; an unusual table costs at most a few more reads, since each retry doubles.
const TYPICAL_ENTRY = 128;

/** One entry of the snapshot table with where its L1 table lives (cluster-level readers need it). */
export interface SnapshotEntry extends InternalSnapshotInfo {
  l1Offset: number;
  l1Size: number;
}

/**
 * Reads the internal snapshot table: `nbSnapshots` 8-byte-aligned entries from
 * `snapshotsOffset`. The table must lie inside the file and within QEMU's 64 MiB limit.
 * The 64-bit VM state size of the extra data wins over the 32-bit field when present.
 */
export async function readSnapshotTable(f: FileAccess, h: Qcow2Header, fileSize: number, fail: Fail): Promise<InternalSnapshotInfo[]> {
  return (await readSnapshotEntries(f, h, fileSize, fail)).map(({ l1Offset: _o, l1Size: _s, ...info }) => info);
}

/** readSnapshotTable with each entry's L1 table offset and size. */
export async function readSnapshotEntries(f: FileAccess, h: Qcow2Header, fileSize: number, fail: Fail): Promise<SnapshotEntry[]> {
  if (h.nbSnapshots === 0) return [];
  const start = h.snapshotsOffset;
  const limit = Math.min(fileSize - start, MAX_SNAPSHOT_TABLE_BYTES);
  let buf = await f.read(start, Math.min(limit, Math.max(4096, h.nbSnapshots * TYPICAL_ENTRY)));

  // Makes sure the table bytes [0, end) are in `buf`, reading a larger prefix when needed.
  const need = async (end: number, index: number): Promise<void> => {
    if (end <= buf.length) return;
    if (end > limit) {
      throw end > MAX_SNAPSHOT_TABLE_BYTES
        ? fail(`snapshot table is larger than ${MAX_SNAPSHOT_TABLE_BYTES} bytes`)
        : fail(`snapshot ${index + 1} of ${h.nbSnapshots} runs past the end of the file (${fileSize} bytes)`);
    }
    buf = await f.read(start, Math.min(limit, Math.max(end, buf.length * 2)));
    if (buf.length < end) throw fail(`snapshot ${index + 1} of ${h.nbSnapshots} runs past the end of the file (${fileSize} bytes)`);
  };

  const out: SnapshotEntry[] = new Array(h.nbSnapshots);
  let pos = 0;
  for (let i = 0; i < h.nbSnapshots; i++) {
    await need(pos + SNAPSHOT_ENTRY_FIXED, i);
    const idLen = buf.readUInt16BE(pos + 12);
    const nameLen = buf.readUInt16BE(pos + 14);
    const dateSec = buf.readUInt32BE(pos + 16);
    const dateNsec = buf.readUInt32BE(pos + 20);
    const vmState32 = buf.readUInt32BE(pos + 32);
    const extra = buf.readUInt32BE(pos + 36);
    if (extra > MAX_SNAPSHOT_EXTRA_DATA) {
      throw fail(`snapshot ${i + 1} of ${h.nbSnapshots} has too much extra data (${extra} bytes; at most ${MAX_SNAPSHOT_EXTRA_DATA})`);
    }
    const entryLen = SNAPSHOT_ENTRY_FIXED + extra + idLen + nameLen;
    await need(pos + entryLen, i);
    const x = pos + SNAPSHOT_ENTRY_FIXED;
    const vmStateSize = extra >= 8 ? u64(buf, x, `snapshot ${i + 1} VM state size`, fail) : vmState32;
    const diskSize = extra >= 16 ? u64(buf, x + 8, `snapshot ${i + 1} disk size`, fail) : null;
    const idStart = x + extra;
    out[i] = {
      id: buf.toString('utf8', idStart, idStart + idLen),
      name: buf.toString('utf8', idStart + idLen, idStart + idLen + nameLen),
      dateSec,
      dateNsec,
      vmStateSize,
      diskSize,
      l1Offset: u64(buf, pos, `snapshot ${i + 1} L1 table offset`, fail),
      l1Size: buf.readUInt32BE(pos + 8),
    };
    pos += align8(entryLen);
  }
  return out;
}
