import type { HostConfig } from '../model/host-config.js';
import type { LoopState, TriggerReason } from './loop-state.js';
import type { Timers, TimerHandle } from './timers.js';
import type { Reconciler, ReconcileReport } from './reconciler.js';
import type { Logger } from './logger.js';
import { MAX_LAST_ERRORS, STATUS_FORMAT_VERSION, type DaemonStatus, type RunSummary } from './daemon-status.js';
import { INITIAL_POLICY_SET, nextPolicySetState, type PolicyLoader, type PolicySetState } from './policy-source.js';
import { computeNextWake } from './next-wake.js';
import { summariseNoReport, summariseReport } from './run-summary.js';
import { logExecEvent } from './log-exec-event.js';
import { countSkipped } from '../apply/unresolved-work.js';

/** What the loop is built from; every edge is injected. */
export interface LoopDeps {
  config: HostConfig;
  timers: Timers;
  reconciler: Reconciler;
  loadPolicies: PolicyLoader;
  /** Re-reads the host config on reload (SIGHUP); throws when it is invalid (the old one stays). */
  reloadConfig?: () => Promise<HostConfig>;
  log: Logger;
  pid?: number;
  /** After every state or status change: persist it (the loop does no I/O of its own). */
  onStatus?: (status: DaemonStatus) => void;
  /** After every run, with the report when the reconciler returned one. */
  onRun?: (summary: RunSummary, report: ReconcileReport | null, set: PolicySetState) => void;
  /** After a config reload took effect. */
  onConfig?: (config: HostConfig, previous: HostConfig) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The level-based reconcile loop. Triggers (slot timer, resync, file changes, reload) only
 * request a run; a request during a run marks the loop dirty and causes exactly one more run
 * after it, however many arrived. One timer at a time: the next slot of any policy in force or
 * the resync deadline, whichever is first.
 */
export class ReconcileLoop {
  private _state: LoopState = 'idle';
  private pending = new Set<TriggerReason>();
  private cycling: Promise<void> | null = null;
  private timer: TimerHandle | null = null;
  private readonly abort = new AbortController();
  private reloadPending = false;
  /** A slot timer's slot: the run it starts plans for at least that instant (timers may fire early). */
  private wakeFloorMs = 0;
  /** The `now` the last run planned for, and when it ended: the next wake is computed from them. */
  private lastRunNowMs = 0;
  private lastRunEndMs = 0;
  private policySet: PolicySetState = INITIAL_POLICY_SET;
  private config: HostConfig;
  readonly status: DaemonStatus;

  constructor(private readonly deps: LoopDeps) {
    this.config = deps.config;
    const now = iso(deps.timers.now());
    this.status = {
      formatVersion: STATUS_FORMAT_VERSION,
      state: 'idle',
      pid: deps.pid ?? process.pid,
      started: now,
      updatedAt: now,
      lastRun: null,
      lastSuccessAt: null,
      nextWake: null,
      policySet: { valid: false, count: 0, revision: null, diagnostics: [], inForce: null },
      lastErrors: [],
    };
  }

  get state(): LoopState {
    return this._state;
  }

  get currentConfig(): HostConfig {
    return this.config;
  }

  /** Starts with one run. */
  start(): void {
    this.request('startup');
  }

  /** Asks for a run; coalesces with any run pending or in progress. Ignored once stopping. */
  request(reason: TriggerReason): void {
    if (this._state === 'stopping' || this._state === 'stopped') return;
    this.pending.add(reason);
    if (!this.cycling) this.cycling = this.cycle();
  }

  /** Reload the host config and the policies (SIGHUP). */
  reload(): void {
    if (this._state === 'stopping' || this._state === 'stopped') return;
    this.reloadPending = true;
    this.request('reload');
  }

  /** Resolves when no run is in progress or pending. */
  async settled(): Promise<void> {
    while (this.cycling) await this.cycling;
  }

  /**
   * Graceful stop: no new run starts, the run in progress is told to stop (abort signal: the
   * executor finishes or rolls back its current step) and awaited. Bounding the wait is the
   * caller's job (it owns the process).
   */
  async stop(): Promise<void> {
    if (this._state === 'stopped') return;
    if (this._state !== 'stopping') {
      this.setState('stopping');
      this.disarm();
      this.status.nextWake = null;
      this.abort.abort(new Error('xensnap is stopping'));
      this.emit();
    }
    await this.settled();
    this.setState('stopped');
    this.emit();
  }

  private async cycle(): Promise<void> {
    this.disarm();
    try {
      while (this.pending.size && this._state !== 'stopping') {
        const triggers = [...this.pending];
        this.pending.clear();
        this.setState('reconciling');
        this.emit();
        await this.runOne(triggers);
      }
    } finally {
      // synchronously with the loop's exit: a request arriving later starts a new cycle
      this.cycling = null;
    }
    if (this._state === 'reconciling') {
      this.setState('idle');
      this.arm();
      this.emit();
    }
  }

  private async runOne(triggers: TriggerReason[]): Promise<void> {
    const { timers, log } = this.deps;
    const startMs = timers.now();
    log.info('reconcile started', { triggers });
    if (this.reloadPending) await this.reloadConfig();
    await this.loadPolicies();
    this.emit(); // the policy set's validity shows while a long run goes on
    const set = this.policySet;
    let summary: RunSummary;
    let report: ReconcileReport | null = null;
    const nowMs = Math.max(timers.now(), this.wakeFloorMs);
    if (!set.inForce) {
      summary = summariseNoReport('skipped', iso(startMs), iso(timers.now()), triggers, 'no valid policy set has been loaded yet: nothing is applied');
    } else {
      try {
        report = await this.deps.reconciler({
          config: this.config,
          policies: set.inForce.policies,
          now: new Date(nowMs),
          signal: this.abort.signal,
          onEvent: (e) => logExecEvent(log, e),
        });
        summary = summariseReport(report, triggers, timers.now() - startMs);
      } catch (err) {
        summary = summariseNoReport('error', iso(startMs), iso(timers.now()), triggers, (err as Error)?.message ?? String(err));
      }
    }
    this.status.lastRun = summary;
    if (summary.result === 'ok') this.status.lastSuccessAt = summary.finishedAt;
    if (summary.result !== 'ok' && summary.message) this.noteError(summary.message);
    this.lastRunNowMs = nowMs;
    this.lastRunEndMs = timers.now();
    for (const s of summary.skippedDomains) log.warn('domain skipped: interrupted work not recovered', { domain: s.domain, operation: s.operation, reason: s.reason, journal: s.journal });
    const fields = { result: summary.result, durationMs: summary.durationMs, actions: summary.actions, heldBack: summary.heldBack, domainsSkipped: countSkipped(summary.skippedDomains), message: summary.message ?? undefined };
    if (summary.result === 'ok') log.info('reconcile finished', fields);
    else log.warn('reconcile finished', fields);
    this.deps.onRun?.(summary, report, set);
  }

  private async reloadConfig(): Promise<void> {
    this.reloadPending = false;
    if (!this.deps.reloadConfig) return;
    try {
      const fresh = await this.deps.reloadConfig();
      const prev = this.config;
      // the lock, the status file and the listener belong to the process: they need a restart
      for (const k of ['stateDir', 'listen'] as const) {
        if (fresh[k] !== prev[k]) this.deps.log.warn(`config ${k} changed: takes effect after a restart`, { old: prev[k], new: fresh[k] });
      }
      this.config = { ...fresh, stateDir: prev.stateDir, listen: prev.listen };
      this.deps.log.info('host config reloaded');
      this.deps.onConfig?.(this.config, prev);
    } catch (err) {
      const msg = `host config reload failed, keeping the previous config: ${(err as Error)?.message ?? String(err)}`;
      this.deps.log.error(msg, { diagnostics: (err as { diagnostics?: unknown }).diagnostics });
      this.noteError(msg);
    }
  }

  private async loadPolicies(): Promise<void> {
    const { timers, log } = this.deps;
    const prev = this.policySet;
    let load;
    try {
      load = await this.deps.loadPolicies(this.config);
    } catch (err) {
      load = { policies: [], diagnostics: [`${this.config.policyDir}: cannot load policies: ${(err as Error)?.message ?? String(err)}`], revision: null };
    }
    const next = nextPolicySetState(prev, load, iso(timers.now()));
    this.policySet = next;
    if (!next.valid) {
      const msg = next.inForce
        ? `policy set is invalid (${next.diagnostics.length} problems): keeping the last valid set (${next.inForce.policies.length} policies)`
        : `policy set is invalid (${next.diagnostics.length} problems) and no valid set was loaded before: nothing is applied`;
      log.error(msg, { diagnostics: next.diagnostics, revision: next.revision });
      this.noteError(`${msg}; first: ${next.diagnostics[0] ?? ''}`);
    } else if (!prev.valid || prev.revision !== next.revision || prev.count !== next.count) {
      log.info('policy set loaded', { policies: next.count, revision: next.revision });
    }
    this.status.policySet = {
      valid: next.valid,
      count: next.count,
      revision: next.revision,
      diagnostics: next.diagnostics,
      inForce: next.inForce ? { count: next.inForce.policies.length, revision: next.inForce.revision, loadedAt: next.inForce.loadedAt } : null,
    };
  }

  private arm(): void {
    const policies = this.policySet.inForce?.policies ?? [];
    const wake = computeNextWake({ policies, lastRunNowMs: this.lastRunNowMs, lastRunEndMs: this.lastRunEndMs, resyncIntervalMs: this.config.resyncIntervalMs });
    this.status.nextWake = { at: iso(wake.atMs), reason: wake.reason, policy: wake.policy };
    const delay = Math.max(0, wake.atMs - this.deps.timers.now());
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = null;
      if (wake.reason === 'slot') this.wakeFloorMs = Math.max(this.wakeFloorMs, wake.atMs);
      this.request(wake.reason);
    }, delay);
    this.deps.log.debug('next wake', { at: this.status.nextWake.at, reason: wake.reason, policy: wake.policy ?? undefined });
  }

  private disarm(): void {
    if (this.timer) this.deps.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private noteError(message: string): void {
    this.status.lastErrors.unshift({ at: iso(this.deps.timers.now()), message });
    this.status.lastErrors.length = Math.min(this.status.lastErrors.length, MAX_LAST_ERRORS);
  }

  private setState(s: LoopState): void {
    this._state = s;
    this.status.state = s;
  }

  private emit(): void {
    this.status.updatedAt = iso(this.deps.timers.now());
    this.deps.onStatus?.(this.status);
  }
}
