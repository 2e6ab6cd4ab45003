import type { HostConfig } from '../model/host-config.js';
import type { Policy } from '../model/policy.js';
import type { Plan } from '../plan/plan-types.js';
import type { SnapshotBackend } from '../backends/backend.js';
import type { ActionResult, ExecAction, ExecEvent } from './execute-types.js';
import type { Domain } from '../model/domain.js';
import type { Observed } from '../model/observed.js';
import { observeHost } from '../observe/observe-host.js';
import { plan } from '../plan/plan.js';
import { backendRefusal } from '../backends/backend-refusal.js';
import { deleteRecord, readRecord, writeRecord } from '../state/index.js';
import { executePlan } from './execute-plan.js';
import { recoverPending } from './recover-pending.js';
import { blockedKeys, skippedDomains, unresolvedLine, type SkippedDomain as UnresolvedDomain, type UnresolvedWork } from './unresolved-work.js';
import { hostBackends } from './host-backends.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import { hostDriver } from '../hypervisor/host-driver.js';
import type { SkippedDomain } from '../model/skipped-domain.js';

/** One reconcile run, as the loop, `status` and metrics see it. */
export interface ReconcileReport {
  startedAt: string;
  finishedAt: string;
  recovered: string[];
  plan: Plan;
  results: ActionResult[];
  heldBack: number;
  /** Domains skipped for unresolved work (never planned this run), with reason and journal. */
  skippedDomains: UnresolvedDomain[];
  ok: boolean;
  error: string | null;
  /** Domains this run could not act on, with why (model/skipped-domain.ts); for metrics and status. */
  skipped?: SkippedDomain[];
}

/** The metadata store as the executor and recovery use it. */
export const recordStore = {
  write: async (stateDir: string, record: Parameters<typeof writeRecord>[1], key: string) => {
    await writeRecord(stateDir, record, key);
  },
  remove: async (stateDir: string, key: string, name: string) => {
    await deleteRecord(stateDir, key, name);
  },
  exists: async (stateDir: string, key: string, name: string) => (await readRecord(stateDir, key, name).catch(() => null)) !== null,
};

export interface ReconcileOptions {
  config: HostConfig;
  policies: Policy[];
  now: Date;
  signal?: AbortSignal;
  onEvent?: (e: ExecEvent) => void;
  /** Overrides config.limits.maxDeletes for this run. */
  maxDeletes?: number;
  backends?: Record<'qdisk' | 'blktap', SnapshotBackend>;
}

/** The host after recovery: what the plan is made against. */
export interface RecoveredHost {
  domains: Domain[];
  observed: Observed;
  recovered: string[];
  /** Domain keys whose interrupted work could not be resolved: never planned this run. */
  blocked: Set<string>;
  /** The unresolved work itself: one entry per journal, with its reason and file. */
  unresolved: UnresolvedWork[];
}

/**
 * Recovery first (journals of interrupted work), then observation — again if recovery changed
 * anything — so a plan is always made against the state recovery left.
 */
export async function recoverAndObserve(
  config: HostConfig,
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>,
  driver: HypervisorDriver = hostDriver(config),
): Promise<RecoveredHost> {
  const first = await observeHost(config);
  const recovery = await recoverPending({ stateDir: config.stateDir, domains: first.domains, backends, records: recordStore, driver });
  const { domains, observed } = recovery.recovered.length ? await observeHost(config) : first;
  const blocked = blockedKeys(recovery.unresolved, domains.map((d) => d.key));
  for (const u of recovery.unresolved) {
    const d = domains.find((x) => x.key === u.domainKey);
    observed.findings.push({ kind: 'skipped', domain: d ? { uuid: d.uuid, name: d.name } : null, message: unresolvedLine(u) });
    if (d) (observed.skipped ??= []).push({ name: d.name, uuid: d.uuid, key: d.key, cause: 'unresolved-journal', reason: unresolvedLine(u), journal: u.journal });
  }
  return { domains, observed, recovered: recovery.recovered, blocked, unresolved: recovery.unresolved };
}

/** The plan for a recovered host, with the backends' own snapshotability matrix. */
export function planHost(host: RecoveredHost, policies: Policy[], now: Date, maxDeletes: number): Plan {
  // the whole host when nothing is blocked, so skipped domains' findings are in the plan too
  return plan({
    policies,
    observed: host.observed,
    ...(host.blocked.size ? { domains: host.domains.filter((d) => !host.blocked.has(d.key)) } : {}),
    now,
    limits: { maxDeletes },
    refusal: backendRefusal,
  });
}

/** Runs actions against a recovered host through the executor. */
export function executeOnHost(
  actions: ExecAction[],
  host: RecoveredHost,
  opts: {
    config: HostConfig;
    policies: Policy[];
    backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
    driver?: HypervisorDriver;
    signal?: AbortSignal;
    onEvent?: (e: ExecEvent) => void;
  },
): Promise<ActionResult[]> {
  return executePlan(actions, {
    stateDir: opts.config.stateDir,
    domains: host.domains,
    snapshots: host.observed.snapshots,
    policies: opts.policies,
    backends: opts.backends,
    concurrency: opts.config.limits.concurrency,
    now: () => new Date(),
    hooks: opts.config.hooks,
    driver: opts.driver ?? hostDriver(opts.config),
    records: recordStore,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/**
 * Every domain the run could not act on: the inventory's and observation's skipped ones, and
 * those whose interrupted work recovery could not resolve (cause `unresolved-journal`) unless
 * recovery already listed them so itself.
 */
function skippedOf(host: RecoveredHost): SkippedDomain[] {
  const out = [...(host.observed.skipped ?? [])];
  for (const key of host.blocked) {
    if (out.some((s) => s.key === key && s.cause === 'unresolved-journal')) continue;
    const d = host.domains.find((x) => x.key === key);
    out.push({ name: d?.name ?? key, uuid: d?.uuid ?? null, key, cause: 'unresolved-journal', reason: 'interrupted work recovery could not resolve' });
  }
  return out;
}

/**
 * recover → observe → plan → apply, once, as the reconcile loop runs it. The caller holds the
 * instance lock. Domains whose interrupted work recovery could not resolve are left out.
 */
export async function reconcileOnce(opts: ReconcileOptions): Promise<ReconcileReport> {
  const startedAt = new Date().toISOString();
  const backends = opts.backends ?? hostBackends(opts.config);
  const host = await recoverAndObserve(opts.config, backends);
  const result = planHost(host, opts.policies, opts.now, opts.maxDeletes ?? opts.config.limits.maxDeletes);
  const results = opts.signal?.aborted ? [] : await executeOnHost(result.actions, host, { ...opts, backends });
  const failed = results.filter((r) => r.status === 'failed');
  const skipped = skippedDomains(host.unresolved, host.domains);
  const errors = [
    ...failed.map((f) => `${f.action.action} ${f.action.snapshot} on ${f.action.domain.name}: ${f.message}`),
    ...skipped.map((s) => `${s.domain} skipped: interrupted work not recovered (${s.operation}): ${s.reason}; journal ${s.journal}`),
  ];
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    recovered: host.recovered,
    plan: result,
    results,
    heldBack: result.findings.filter((f) => f.kind === 'held-back').length,
    skippedDomains: skipped,
    skipped: skippedOf(host),
    ok: failed.length === 0 && skipped.length === 0,
    error: errors.length ? errors.join('; ') : null,
  };
}
