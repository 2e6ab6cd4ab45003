import { BugError } from '../errors.js';
import type { SnapshotRecord } from '../model/snapshot.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/atomic-file.js';
import { domainDir, recordFileName, recordPath } from './record-path.js';
import { serializeRecord } from './serialize-record.js';
import { recordProblems } from './validate-record.js';

/**
 * Writes `stateDir/<domainKey>/snapshotdata-<name>.json` atomically (temp + fsync + rename +
 * directory fsync), mode 0600, creating the state and domain folders with mode 0700. The name
 * and key are checked first (UserInputError); a record that would not read back valid is a
 * bug in the caller (BugError) and nothing is written.
 */
export async function writeRecord(stateDir: string, record: SnapshotRecord, domainKey: string): Promise<string> {
  const path = recordPath(stateDir, domainKey, record.name);
  const text = serializeRecord(record);
  const problems = recordProblems(JSON.parse(text), recordFileName(record.name), domainKey);
  if (problems.length) throw new BugError(`refusing to write an invalid record ${path}: ${problems.join('; ')}`);
  await ensurePrivateDir(stateDir);
  await ensurePrivateDir(domainDir(stateDir, domainKey));
  await writeFileAtomic(path, text, 0o600);
  return path;
}
