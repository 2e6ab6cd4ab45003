import { UserInputError } from '../errors.js';
import type { SnapshotRecord } from '../model/snapshot.js';
import { readRecord } from './read-records.js';
import { writeRecord } from './write-record.js';

/**
 * Reads a record, applies `change` and writes the result atomically (pin/unpin). The change
 * may not rename the record. Throws UserInputError when there is no such record and
 * FormatError when it exists but cannot be used (it is then left as it is).
 */
export async function updateRecord(
  stateDir: string,
  domainKey: string,
  name: string,
  change: (record: SnapshotRecord) => SnapshotRecord,
): Promise<SnapshotRecord> {
  const current = await readRecord(stateDir, domainKey, name);
  if (!current) throw new UserInputError(`no xensnap record of snapshot "${name}" for domain ${domainKey}`);
  const next = change(structuredClone(current));
  if (next.name !== name) throw new UserInputError(`a record update may not rename snapshot "${name}" to "${next.name}"`);
  await writeRecord(stateDir, next, domainKey);
  return next;
}

/** Sets or clears `pinned`; returns the updated record. */
export function setPinned(stateDir: string, domainKey: string, name: string, pinned: boolean): Promise<SnapshotRecord> {
  return updateRecord(stateDir, domainKey, name, (r) => ({ ...r, pinned }));
}
