import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LoopState } from '../loop/loop-state.js';
import type { RunSummary } from '../loop/daemon-status.js';
import type { ReconcileReport } from '../loop/reconciler.js';
import type { PolicySetState } from '../loop/policy-source.js';
import { policyDomainFigures, type PolicyDomainFigures } from './policy-domain-gauges.js';

const STATES: LoopState[] = ['idle', 'reconciling', 'stopping', 'stopped'];

/**
 * The daemon's metrics, in a registry of its own (never prom-client's global one). Per
 * (policy, domain) series are replaced wholesale after each run, so a domain or policy that
 * went away leaves no stale series.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'result'>;
  private readonly duration: Histogram;
  private readonly actions: Counter<'kind' | 'result'>;
  private readonly warnings: Counter<'kind'>;
  private readonly managed: Gauge<'policy' | 'domain'>;
  private readonly compliant: Gauge<'policy' | 'domain'>;
  private readonly valid: Gauge;
  private readonly setInfo: Gauge<'revision'>;
  private readonly inForceInfo: Gauge<'revision'>;
  private readonly policies: Gauge;
  private readonly diagnostics: Gauge;
  private readonly lastSuccess: Gauge;
  private readonly heldBack: Gauge;
  private readonly unresolved: Gauge<'domain'>;
  private readonly state: Gauge<'state'>;
  private readonly skipped: Gauge<'cause'>;
  private readonly fsFree: Gauge<'mount'>;
  private readonly fsSize: Gauge<'mount'>;
  private readonly fsLimit: Gauge<'mount'>;
  private readonly createsHeld: Gauge<'reason'>;
  private figures: PolicyDomainFigures[] = [];

  constructor(now: () => number = Date.now) {
    const registers = [this.registry];
    this.runs = new Counter({ name: 'xensnap_reconcile_runs_total', help: 'Reconcile runs by result (ok, failed, error, skipped).', labelNames: ['result'], registers });
    this.duration = new Histogram({
      name: 'xensnap_reconcile_duration_seconds',
      help: 'Duration of reconcile runs.',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.actions = new Counter({ name: 'xensnap_actions_total', help: 'Actions run by kind (create, delete) and result (ok, failed, skipped).', labelNames: ['kind', 'result'], registers });
    this.warnings = new Counter({ name: 'xensnap_action_warnings_total', help: 'Warnings of ok actions by kind: snapshots weaker than asked (not quiesced, disk-only instead of live).', labelNames: ['kind'], registers });
    this.managed = new Gauge({ name: 'xensnap_managed_snapshots', help: 'Managed snapshots per policy and domain after the last run.', labelNames: ['policy', 'domain'], registers });
    const figures = () => this.figures;
    new Gauge({
      name: 'xensnap_newest_snapshot_age_seconds',
      help: 'Age of the newest managed snapshot (by its slot) per policy and domain.',
      labelNames: ['policy', 'domain'],
      registers,
      collect() {
        this.reset();
        for (const f of figures()) if (f.newestMs !== null) this.set({ policy: f.policy, domain: f.domain }, Math.max(0, (now() - f.newestMs) / 1000));
      },
    });
    this.compliant = new Gauge({ name: 'xensnap_policy_compliant', help: '1 when the domain has every snapshot its policy wants and no delete was held back.', labelNames: ['policy', 'domain'], registers });
    this.valid = new Gauge({ name: 'xensnap_policy_set_valid', help: '1 when the latest load of the policy directory was valid.', registers });
    this.setInfo = new Gauge({ name: 'xensnap_policy_set_info', help: 'Git revision of the latest policy set load (value always 1).', labelNames: ['revision'], registers });
    this.inForceInfo = new Gauge({ name: 'xensnap_policy_set_in_force_info', help: 'Git revision of the policy set in force (value always 1).', labelNames: ['revision'], registers });
    this.policies = new Gauge({ name: 'xensnap_policies_in_force', help: 'Policies in the set in force.', registers });
    this.diagnostics = new Gauge({ name: 'xensnap_policy_set_diagnostics', help: 'Problems found in the latest load of the policy directory.', registers });
    this.lastSuccess = new Gauge({ name: 'xensnap_last_success_timestamp_seconds', help: 'End of the last successful reconcile run, Unix time.', registers });
    this.heldBack = new Gauge({ name: 'xensnap_deletes_held_back', help: 'Deletes held back by the limits in the last run.', registers });
    this.unresolved = new Gauge({
      name: 'xensnap_unresolved_journals',
      help: 'Journals of interrupted work recovery could not resolve, per domain they block (see xensnap recover), after the last run.',
      labelNames: ['domain'],
      registers,
    });
    this.state = new Gauge({ name: 'xensnap_loop_state', help: 'The reconcile loop state (1 for the current one).', labelNames: ['state'], registers });
    this.skipped = new Gauge({ name: 'xensnap_skipped_domains', help: 'Domains the last run could not act on, by cause (state-unknown, config-invalid, unresolved-journal, ...).', labelNames: ['cause'], registers });
    this.fsFree = new Gauge({ name: 'xensnap_filesystem_free_bytes', help: 'Free bytes (f_bavail) of each filesystem holding images or the state dir, at the last run.', labelNames: ['mount'], registers });
    this.fsSize = new Gauge({ name: 'xensnap_filesystem_size_bytes', help: 'Size of each filesystem holding images or the state dir.', labelNames: ['mount'], registers });
    this.fsLimit = new Gauge({ name: 'xensnap_filesystem_limit_bytes', help: 'Free bytes below which creates on the filesystem are held (limits.minFreePercent / minFreeBytes).', labelNames: ['mount'], registers });
    this.createsHeld = new Gauge({ name: 'xensnap_creates_held_back', help: 'Creates the storage guard held back in the last run, by reason (free-space, chain-depth).', labelNames: ['reason'], registers });
    this.valid.set(0);
    this.policies.set(0);
    this.diagnostics.set(0);
    this.heldBack.set(0);
    this.setLoopState('idle');
  }

  /** Skipped domains and storage from the last report; series of a cause or mount gone are dropped. */
  private recordHost(report: ReconcileReport): void {
    this.skipped.reset();
    const causes = new Map<string, number>();
    for (const s of report.skipped ?? []) causes.set(s.cause, (causes.get(s.cause) ?? 0) + 1);
    for (const [cause, n] of causes) this.skipped.set({ cause }, n);
    for (const g of [this.fsFree, this.fsSize, this.fsLimit, this.createsHeld]) g.reset();
    const cap = report.plan.capacity;
    for (const f of cap?.filesystems ?? []) {
      this.fsFree.set({ mount: f.mount }, f.freeBytes);
      this.fsSize.set({ mount: f.mount }, f.totalBytes);
      this.fsLimit.set({ mount: f.mount }, f.limitBytes);
    }
    for (const reason of ['free-space', 'chain-depth'] as const) this.createsHeld.set({ reason }, cap?.held.filter((h) => h.reason === reason).length ?? 0);
  }

  setLoopState(s: LoopState): void {
    for (const x of STATES) this.state.set({ state: x }, x === s ? 1 : 0);
  }

  recordPolicySet(set: PolicySetState): void {
    this.valid.set(set.valid ? 1 : 0);
    this.diagnostics.set(set.diagnostics.length);
    this.setInfo.reset();
    this.setInfo.set({ revision: set.revision ?? 'unknown' }, 1);
    this.inForceInfo.reset();
    if (set.inForce) this.inForceInfo.set({ revision: set.inForce.revision ?? 'unknown' }, 1);
    this.policies.set(set.inForce?.policies.length ?? 0);
  }

  recordRun(summary: RunSummary, report: ReconcileReport | null, set: PolicySetState): void {
    this.recordPolicySet(set);
    this.runs.inc({ result: summary.result });
    this.duration.observe(summary.durationMs / 1000);
    if (summary.result === 'ok') this.lastSuccess.set(Date.parse(summary.finishedAt) / 1000);
    if (!report) return;
    this.heldBack.set(report.heldBack);
    this.unresolved.reset();
    for (const s of report.skippedDomains) this.unresolved.inc({ domain: s.domain });
    for (const r of report.results) {
      this.actions.inc({ kind: r.action.action, result: r.status });
      if (r.warnings?.length) this.warnings.inc({ kind: r.action.action }, r.warnings.length);
    }
    this.recordHost(report);
    this.figures = policyDomainFigures(report);
    this.managed.reset();
    this.compliant.reset();
    for (const f of this.figures) {
      this.managed.set({ policy: f.policy, domain: f.domain }, f.managed);
      this.compliant.set({ policy: f.policy, domain: f.domain }, f.compliant);
    }
  }
}
