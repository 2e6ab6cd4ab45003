import type { Domain } from '../model/domain.js';
import type { RecoverableBackend, SnapshotBackend } from '../backends/backend.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { RecordStore } from '../state/record-store.js';

/** What recovery works with: the host's domains, backends and records, and its hypervisor. */
export interface RecoveryDeps {
  stateDir: string;
  domains: Domain[];
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
  records: RecordStore;
  /** Resumes domains an interrupted live snapshot left paused, finishes restores; without it such ops stay open. */
  driver?: HypervisorDriver;
}

function isRecoverable(b: SnapshotBackend): b is RecoverableBackend {
  return typeof (b as Partial<RecoverableBackend>).recover === 'function';
}

/** The operation's backend, which must be able to recover its own steps. */
export function recoverableBackend(deps: RecoveryDeps, name: 'qdisk' | 'blktap'): RecoverableBackend {
  const backend = deps.backends[name];
  if (!isRecoverable(backend)) throw new Error(`the ${backend.name} backend cannot recover this operation`);
  return backend;
}
