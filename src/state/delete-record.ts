import { unlink } from 'node:fs/promises';
import { fsyncDir } from '../util/atomic-file.js';
import { domainDir, recordPath } from './record-path.js';

/**
 * Removes a record and fsyncs its folder so the removal is durable. Returns false when there
 * was no such record (deleting twice, e.g. when an interrupted run is repeated, is not an error).
 */
export async function deleteRecord(stateDir: string, domainKey: string, name: string): Promise<boolean> {
  const path = recordPath(stateDir, domainKey, name);
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(domainDir(stateDir, domainKey));
  return true;
}
