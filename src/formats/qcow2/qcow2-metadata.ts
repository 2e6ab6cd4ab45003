import type { FileAccess } from '../file-access.js';
import { FormatError } from '../../errors.js';
import type { Fail } from './be-fields.js';
import { HeadBytes } from './head-bytes.js';
import { MAX_L1_BYTES } from './qcow2-limits.js';
import { parseQcow2Header, type Qcow2Header } from './parse-qcow2-header.js';
import { readHeaderExtras, type HeaderExtras } from './read-header-extras.js';
import { readSnapshotEntries, type Qcow2SnapshotEntry } from './read-snapshot-table.js';

/**
 * The parsed metadata roots of one qcow2 file: fixed header, backing name and format, and the
 * snapshot table with each snapshot's L1 location. Always holds what Qcow2Header and
 * readSnapshotEntries guarantee; `fileSize` is the size when read.
 */
export interface Qcow2Metadata {
  file: FileAccess;
  header: Qcow2Header;
  extras: HeaderExtras;
  snapshots: Qcow2SnapshotEntry[];
  fileSize: number;
  fail: Fail;
}

const FIRST_READ = 4096;

export async function readQcow2Metadata(f: FileAccess): Promise<Qcow2Metadata> {
  const fail: Fail = (problem) => new FormatError(f.name, problem);
  const { head, fileSize } = await HeadBytes.loadWithSize(f, FIRST_READ);
  const header = parseQcow2Header(head.bytes, fileSize, fail);
  const extras = await readHeaderExtras(header, head.withLimit(header.clusterSize), fileSize, fail);
  const snapshots = await readSnapshotEntries(f, header, fileSize, fail);
  return { file: f, header, extras, snapshots, fileSize, fail };
}

/** Guest bytes one L1 entry maps: (cluster size / 8) clusters. */
export function l1EntrySpan(h: Qcow2Header): number {
  return (h.clusterSize / 8) * h.clusterSize;
}

/**
 * Checks that an L1 table lies where QEMU would accept it: cluster-aligned, inside the file,
 * at most 32 MiB. `what` names it in the error.
 */
export function checkL1Location(m: Qcow2Metadata, what: string, offset: number, entries: number): void {
  if (entries === 0) return;
  const cs = m.header.clusterSize;
  if (entries * 8 > MAX_L1_BYTES) throw m.fail(`${what} has ${entries} entries, more than QEMU's 32 MiB limit`);
  if (offset === 0 || offset % cs !== 0) throw m.fail(`${what} offset ${offset} is not a cluster-aligned offset past the header`);
  if (offset + entries * 8 > m.fileSize) throw m.fail(`${what} (${entries} entries at ${offset}) runs past the end of the file (${m.fileSize} bytes)`);
}
