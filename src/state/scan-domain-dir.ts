import { closeSync, constants, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { SnapshotRecord } from '../model/snapshot.js';
import { SNAPSHOT_NAME_RE } from '../model/policy.js';
import { nameFromRecordFile } from './record-path.js';
import { recordProblems } from './validate-record.js';

/** A record file that could not be used, and why. The file itself is left alone. */
export interface RecordProblem {
  file: string;
  message: string;
}

/** The records of one domain folder: valid ones sorted by name, and the problems of the others. */
export interface DomainRecords {
  records: SnapshotRecord[];
  problems: RecordProblem[];
}

/** Records are small; anything larger is not one of ours and is not read into memory. */
export const MAX_RECORD_BYTES = 1024 * 1024;
// One buffer for every read: one byte more than the limit tells "too large" from "exactly full".
const buf = Buffer.allocUnsafe(MAX_RECORD_BYTES + 1);
// O_NONBLOCK: a FIFO planted in the folder must not block the process; O_NOFOLLOW: never read
// another file through a symbolic link.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/** Reads one record file; returns the record, a problem message, or null when there is none. */
export function readRecordFile(path: string, file: string, domainKey: string): SnapshotRecord | string | null {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    if (code(err) === 'ENOENT') return null; // deleted since the listing: not a problem
    return code(err) === 'ELOOP' ? 'a symbolic link, not a regular file' : `cannot read (${code(err)})`;
  }
  let n = 0;
  try {
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, n);
  } catch (err) {
    return code(err) === 'EISDIR' ? 'not a regular file' : `cannot read (${code(err)})`;
  } finally {
    closeSync(fd);
  }
  if (n > MAX_RECORD_BYTES) return `larger than ${MAX_RECORD_BYTES} bytes`;
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', 0, n));
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
  const problems = recordProblems(value, file, domainKey);
  return problems.length ? `invalid record: ${problems.join('; ')}` : (value as SnapshotRecord);
}

/**
 * Reads every `snapshotdata-<name>.json` in one domain folder, synchronously: on this kind of
 * machine a synchronous open/read/close is several times faster than the thread-pool round
 * trips of the async API, and one folder (tens of small files) blocks for about a millisecond.
 * Other files (memory images, temp files of interrupted writes) are ignored. Never throws.
 */
export function scanDomainDir(dir: string, domainKey: string): DomainRecords {
  const records: SnapshotRecord[] = [];
  const problems: RecordProblem[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (code(err) !== 'ENOENT') problems.push({ file: dir, message: `cannot list (${code(err)})` });
    return { records, problems };
  }
  for (const e of entries) {
    const name = nameFromRecordFile(e.name);
    if (name === null) continue;
    const path = join(dir, e.name);
    if (!SNAPSHOT_NAME_RE.test(name)) {
      problems.push({ file: path, message: 'the file name holds no valid snapshot name' });
      continue;
    }
    if (!e.isFile()) {
      problems.push({ file: path, message: e.isSymbolicLink() ? 'a symbolic link, not a regular file' : 'not a regular file' });
      continue;
    }
    const r = readRecordFile(path, e.name, domainKey);
    if (typeof r === 'string') problems.push({ file: path, message: r });
    else if (r) records.push(r);
  }
  records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { records, problems };
}
