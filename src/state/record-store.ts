import type { SnapshotRecord } from '../model/snapshot.js';

/**
 * The snapshot-record store as the apply, recovery and revert code use it (the real one is
 * writeRecord / deleteRecord / recordPath in this folder; tests pass their own). Each user takes
 * the part it needs: `Pick<RecordStore, 'write' | 'remove'>`.
 */
export interface RecordStore {
  exists(stateDir: string, domainKey: string, name: string): Promise<boolean>;
  remove(stateDir: string, domainKey: string, name: string): Promise<void>;
  write(stateDir: string, record: SnapshotRecord, domainKey: string): Promise<void>;
}
