import type { FileAccess } from '../file-access.js';
import type { InternalSnapshotInfo } from '../../model/observed.js';
import { FormatError } from '../../errors.js';
import type { Fail } from './be-fields.js';
import { HeadBytes } from './head-bytes.js';
import { parseQcow2Header } from './parse-qcow2-header.js';
import { readHeaderExtras } from './read-header-extras.js';
import { readSnapshotTable } from './read-snapshot-table.js';
import { checkTableBounds } from './check-table-bounds.js';

/**
 * What xensnap needs from a qcow2 image, read natively. Always holds: version is 2 or 3,
 * 9 ≤ clusterBits ≤ 21, backingFormat is null whenever backingFile is, snapshots are in table
 * order (duplicates by name possible, as QEMU allows them). `dirty`/`corrupt` are the v3
 * incompatible feature bits and are present only on v3 images.
 */
export interface Qcow2Info {
  version: 2 | 3;
  clusterBits: number;
  virtualSize: number;
  backingFile: string | null;
  backingFormat: string | null;
  snapshots: InternalSnapshotInfo[];
  dirty?: boolean;
  corrupt?: boolean;
}

// The fixed header, its extensions and a typical backing file name fit in the first 4 KiB.
const FIRST_READ = 4096;

/**
 * Reads the header, backing file, backing format and internal snapshot table of a qcow2 image,
 * and checks that its metadata tables lie inside the file (a truncated image is refused).
 * Anything out of bounds or inconsistent throws FormatError(file, problem); nothing is written.
 */
export async function readQcow2Info(f: FileAccess): Promise<Qcow2Info> {
  const fail: Fail = (problem) => new FormatError(f.name, problem);
  const { head: first, fileSize } = await HeadBytes.loadWithSize(f, FIRST_READ);
  const h = parseQcow2Header(first.bytes, fileSize, fail);
  const extras = await readHeaderExtras(h, first.withLimit(h.clusterSize), fileSize, fail);
  const snapshots = await readSnapshotTable(f, h, fileSize, fail);
  await checkTableBounds(f, h, fileSize, fail);
  const info: Qcow2Info = {
    version: h.version,
    clusterBits: h.clusterBits,
    virtualSize: h.virtualSize,
    backingFile: extras.backingFile,
    backingFormat: extras.backingFile === null ? null : extras.backingFormat,
    snapshots,
  };
  if (h.version === 3) {
    info.dirty = h.dirty;
    info.corrupt = h.corrupt;
  }
  return info;
}
