import type { EventEmitter } from 'node:events';
import type { HostConfig } from '../model/host-config.js';
import type { Reconciler } from './reconciler.js';
import type { PolicyLoader } from './policy-source.js';
import type { Logger } from './logger.js';
import type { Timers } from './timers.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { ensurePrivateDir } from '../util/atomic-file.js';
import { createStatusWriter, statusPath } from './status-writer.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { startHttpServer } from './http-server.js';
import { isHealthy } from './health.js';
import { watchPolicyDir, type PolicyWatcher } from './policy-watcher.js';

/** Everything the daemon is wired from; `signals` is `process` in production. */
export interface DaemonOptions {
  config: HostConfig;
  reconciler: Reconciler;
  loadPolicies: PolicyLoader;
  reloadConfig?: () => Promise<HostConfig>;
  log: Logger;
  timers: Timers;
  signals: Pick<EventEmitter, 'on' | 'off'>;
  /** How long a stop waits for the run in progress before giving up on it. Default 60 s. */
  stopTimeoutMs?: number;
  debounceMs?: number;
  /** Called once the loop, watcher and listener are up (tests: the bound port). */
  onReady?: (info: { port: number | null; loop: ReconcileLoop; metrics: DaemonMetrics }) => void;
}

/**
 * Runs the reconcile loop until SIGTERM/SIGINT: status file, metrics, /metrics and /healthz,
 * policy-dir watch, SIGHUP reload. Returns the exit code: 0 after a graceful stop, 1 when the
 * run in progress did not end within the stop timeout (or a second signal forced the stop).
 * The caller holds the instance lock and releases it afterwards.
 */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const { log, timers } = o;
  await ensurePrivateDir(o.config.stateDir);
  const writer = createStatusWriter(statusPath(o.config.stateDir), (err) => log.error('cannot write the status file', { error: err.message }));
  const metrics = new DaemonMetrics(timers.now);
  let watcher: PolicyWatcher | null = null;
  const startWatch = async (dir: string) => {
    try {
      watcher = await watchPolicyDir(dir, { timers, log, debounceMs: o.debounceMs, onChange: () => loop.request('policy-change') });
    } catch (err) {
      log.warn('cannot watch the policy dir: changes are picked up at the next resync', { dir, error: (err as Error).message });
    }
  };
  const loop = new ReconcileLoop({
    config: o.config,
    timers,
    reconciler: o.reconciler,
    loadPolicies: o.loadPolicies,
    reloadConfig: o.reloadConfig,
    log,
    onStatus: (s) => {
      metrics.setLoopState(s.state);
      writer.write(s);
    },
    onRun: (summary, report, set) => metrics.recordRun(summary, report, set),
    onConfig: (cfg, prev) => {
      if (cfg.policyDir === prev.policyDir) return;
      const old = watcher;
      watcher = null;
      void (old?.close() ?? Promise.resolve()).then(() => startWatch(cfg.policyDir));
    },
  });

  let http: Awaited<ReturnType<typeof startHttpServer>> | null = null;
  if (o.config.listen) {
    http = await startHttpServer(o.config.listen, { registry: metrics.registry, health: () => isHealthy(loop.status, timers.now(), loop.currentConfig.resyncIntervalMs) });
    log.info('serving /metrics and /healthz', { listen: o.config.listen, port: http.port });
  }
  await startWatch(o.config.policyDir);

  let requestStop!: (how: 'graceful' | 'force') => void;
  const stopRequested = new Promise<'graceful' | 'force'>((r) => (requestStop = r));
  let signalled = 0;
  const onStop = (sig: string) => {
    signalled++;
    log.info(signalled > 1 ? `${sig} again: stopping now` : `${sig}: stopping`, { state: loop.state });
    requestStop(signalled > 1 ? 'force' : 'graceful');
    if (signalled > 1) forceNow?.();
  };
  const onTerm = () => onStop('SIGTERM');
  const onInt = () => onStop('SIGINT');
  const onHup = () => {
    log.info('SIGHUP: reloading config and policies');
    loop.reload();
  };
  o.signals.on('SIGTERM', onTerm);
  o.signals.on('SIGINT', onInt);
  o.signals.on('SIGHUP', onHup);
  let forceNow: (() => void) | null = null;
  log.info('xensnap run started', { pid: process.pid, stateDir: o.config.stateDir, policyDir: o.config.policyDir });
  loop.start();
  o.onReady?.({ port: http?.port ?? null, loop, metrics });

  await stopRequested;
  const stopTimeoutMs = o.stopTimeoutMs ?? 60_000;
  let stopTimer: ReturnType<Timers['setTimeout']> | null = null;
  const forced = new Promise<'forced'>((r) => {
    stopTimer = timers.setTimeout(() => r('forced'), stopTimeoutMs);
    forceNow = () => r('forced');
    if (signalled > 1) forceNow();
  });
  const outcome = await Promise.race([loop.stop().then(() => 'stopped' as const), forced]);
  // a pending stop timer would keep the process alive for its whole length
  if (stopTimer) timers.clearTimeout(stopTimer);
  forceNow = null;
  o.signals.off('SIGTERM', onTerm);
  o.signals.off('SIGINT', onInt);
  o.signals.off('SIGHUP', onHup);
  await (watcher as PolicyWatcher | null)?.close();
  await http?.close();
  if (outcome === 'forced') {
    log.error('stop timed out: the run in progress was abandoned; its journal is recovered at the next start', { timeoutMs: stopTimeoutMs });
    loop.status.lastErrors.unshift({ at: new Date(timers.now()).toISOString(), message: 'stop forced while a run was in progress' });
    loop.status.state = 'stopped';
    writer.write(loop.status);
  }
  await writer.flush();
  log.info('xensnap run stopped', { forced: outcome === 'forced' });
  return outcome === 'forced' ? 1 : 0;
}
