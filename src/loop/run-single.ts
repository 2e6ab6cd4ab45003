import type { EventEmitter } from 'node:events';
import type { HostConfig } from '../model/host-config.js';
import type { Reconciler } from './reconciler.js';
import type { PolicyLoader } from './policy-source.js';
import type { Logger } from './logger.js';
import type { Timers } from './timers.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { ensurePrivateDir } from '../util/atomic-file.js';
import { createStatusWriter, statusPath } from './status-writer.js';

/**
 * `run --once`: one run of the loop (same policy handling and status file as the daemon),
 * then stop. 0 when the run's result is ok; 1 otherwise — including an invalid policy set,
 * which applies nothing. SIGTERM/SIGINT abort the run gracefully.
 */
export async function runSingle(o: { config: HostConfig; reconciler: Reconciler; loadPolicies: PolicyLoader; log: Logger; timers: Timers; signals: Pick<EventEmitter, 'on' | 'off'> }): Promise<number> {
  await ensurePrivateDir(o.config.stateDir);
  const writer = createStatusWriter(statusPath(o.config.stateDir), (err) => o.log.error('cannot write the status file', { error: err.message }));
  const loop = new ReconcileLoop({ ...o, onStatus: (s) => writer.write(s) });
  const onStop = () => void loop.stop();
  o.signals.on('SIGTERM', onStop);
  o.signals.on('SIGINT', onStop);
  try {
    loop.start();
    await loop.settled();
    await loop.stop();
  } finally {
    o.signals.off('SIGTERM', onStop);
    o.signals.off('SIGINT', onStop);
  }
  await writer.flush();
  return loop.status.lastRun?.result === 'ok' ? 0 : 1;
}
