import type { HostConfig } from '../../model/host-config.js';
import type { SnapshotBackend } from '../../backends/backend.js';
import { acquireInstanceLock } from '../../apply/instance-lock.js';
import { hostBackends } from '../../apply/host-backends.js';
import { recoverAndObserve, type RecoveredHost } from '../../apply/reconcile-once.js';

/** What a one-off command works with: the host after recovery, and its backends. */
export interface LockedHost {
  host: RecoveredHost;
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
}

/**
 * Runs `work` the way apply runs a plan: under the instance lock, after recovering interrupted
 * work and observing the host anew. The lock is released on every path.
 */
export async function withRecoveredHost<T>(config: HostConfig, command: string, work: (h: LockedHost) => Promise<T>): Promise<T> {
  const lock = await acquireInstanceLock(config.stateDir, command);
  try {
    const backends = hostBackends(config);
    const host = await recoverAndObserve(config, backends);
    return await work({ host, backends });
  } finally {
    await lock.release();
  }
}
