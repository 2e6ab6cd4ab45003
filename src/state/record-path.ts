import { join } from 'node:path';
import { UserInputError } from '../errors.js';
import { SNAPSHOT_NAME_RE } from '../model/policy.js';
import { checkDomainKey } from './domain-key.js';

const RECORD_FILE_RE = /^snapshotdata-(.*)\.json$/;

/** Throws UserInputError unless `name` may name a snapshot (and so a file). */
export function checkSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME_RE.test(name)) {
    throw new UserInputError(
      `invalid snapshot name ${JSON.stringify(name)}: use 1 to 100 letters, digits, '.', '_' and '-', not starting with '.' or '-'`,
    );
  }
}

/** `stateDir/<domainKey>`, after checking the key. */
export function domainDir(stateDir: string, domainKey: string): string {
  checkDomainKey(domainKey);
  return join(stateDir, domainKey);
}

export function recordFileName(name: string): string {
  return `snapshotdata-${name}.json`;
}

/** The snapshot name a record file name holds, or null when the file is not a record. */
export function nameFromRecordFile(file: string): string | null {
  const m = RECORD_FILE_RE.exec(file);
  return m ? m[1]! : null;
}

/**
 * `stateDir/<domainKey>/snapshotdata-<name>.json`. Both the key and the name are checked
 * before any path is built, so the result always lies one folder below `stateDir`.
 */
export function recordPath(stateDir: string, domainKey: string, name: string): string {
  checkDomainKey(domainKey);
  checkSnapshotName(name);
  if (stateDir === '') throw new UserInputError('the state directory is empty');
  return join(stateDir, domainKey, recordFileName(name));
}
