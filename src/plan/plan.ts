import type { Domain } from '../model/domain.js';
import type { Finding, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { fingerprintObserved } from './fingerprint.js';
import { capacityLimits, guardCreates, planFilesystems } from './capacity.js';
import { estimateFrees } from './capacity-estimate.js';
import { applyLimits } from './limits.js';
import { planDomain, type DomainPlan } from './plan-domain.js';
import type { PlanInput } from './plan-input.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanAction, type PlanHeldDelete, type PlanKept } from './plan-types.js';
import { planGraphDeletes } from './graph/plan-graph-deletes.js';
import { SpaceLedger } from './graph/space-ledger.js';
import { unreadableDirsOf } from './graph/snapshot-delete.js';
import { mixedPolicyFindings } from './mixed-policies.js';
import { policyContext } from './policy-context.js';
import { snapshotRefusal } from './snapshotability.js';

export type { PlanInput } from './plan-input.js';

/**
 * The planner: a pure function of policies, domains, observation, `now` and limits.
 * Follows DESIGN.md "Schedule and retention semantics"; see plan-domain.ts for one domain
 * and limits.ts for the run-wide holds. Output order is deterministic.
 */
export function plan(input: PlanInput): Plan {
  const nowMs = input.now.getTime();
  const refusal = input.refusal ?? snapshotRefusal;
  const policies = [...input.policies].sort((a, b) => cmp(a.name, b.name));
  const contexts = policies.map((p) => policyContext(p, nowMs));
  const policyNames = new Set(policies.map((p) => p.name));

  const observedByKey = new Map<string, ObservedDomain>();
  for (const od of input.observed.domains) observedByKey.set(od.domain.key, od);
  const { domains, scope, skippedNames } = planScope(input);
  const sorted = [...domains].sort((a, b) => cmp(a.name, b.name) || cmp(a.key, b.key));

  const snapsByKey = new Map<string, ObservedSnapshot[]>();
  for (const s of input.observed.snapshots) {
    let list = snapsByKey.get(s.domainKey);
    if (!list) snapsByKey.set(s.domainKey, (list = []));
    list.push(s);
  }

  const planOne = (d: Domain, held?: ReadonlySet<string>): DomainPlan => {
    const dp = planDomain(d, observedByKey.get(d.key), snapsByKey.get(d.key) ?? [], contexts, policyNames, refusal, held, input.observed.guestAgents);
    dp.deletes.sort(byPolicyThenSnapshot);
    return dp;
  };
  const domainPlans: DomainPlan[] = sorted.map((d) => planOne(d));
  // storage guard: held creates are re-planned away, so retention and deletes run without them
  const capLimits = capacityLimits(input.limits, input.observed);
  const verdict = guardCreates(domainPlans, new Map(sorted.map((d) => [d.key, d])), observedByKey, input.observed, capLimits);
  for (let i = 0; i < domainPlans.length; i++) {
    const key = domainPlans[i]!.ref.key;
    const held = verdict.held.get(key);
    if (held) domainPlans[i] = planOne(sorted[i]!, held);
    const dp = domainPlans[i]!;
    for (const a of dp.creates) {
      const e = verdict.estimates.get(`${key}\u0000${a.policy}`);
      if (e) a.estimate = e;
    }
    dp.findings.push(...(verdict.findings.get(key) ?? []));
  }
  // every delete decided on its disks' graphs (after creates, in plan order), then the run's limits
  const unreadableDirs = unreadableDirsOf(input.observed);
  const ledger = input.observed.filesystems ? new SpaceLedger(input.observed.filesystems, verdict.createBytes) : null;
  const heldDeletes: PlanHeldDelete[] = [];
  for (let i = 0; i < domainPlans.length; i++) {
    const key = sorted[i]!.key;
    const costly = planGraphDeletes(domainPlans[i]!, sorted[i]!, observedByKey.get(key), snapsByKey.get(key) ?? [], unreadableDirs, ledger, heldDeletes);
    // said where it costs something now, not on every converged run
    if (costly) domainPlans[i]!.findings.push(...mixedPolicyFindings(policies, sorted[i]!));
  }
  applyLimits(domainPlans, input.limits);
  const freesBytes = input.observed.filesystems ? attachFrees(domainPlans, snapsByKey, observedByKey) : new Map<string, number>();

  const actions: PlanAction[] = [];
  const kept: PlanKept[] = [];
  const findings: Finding[] = [];
  const observedFindings = groupFindings(input.observed.findings);
  if (scope === null) {
    // host-wide observation findings, and those of domains the inventory no longer lists
    const planned = new Set(domainPlans.map((dp) => dp.ref.name));
    findings.push(...(observedFindings.get(null) ?? []));
    for (const [name, list] of observedFindings) if (name !== null && !planned.has(name)) findings.push(...list);
  } else {
    // skipped domains the scope names: why they are skipped is all there is to say
    for (const name of [...skippedNames].sort(cmp)) findings.push(...(observedFindings.get(name) ?? []));
  }
  for (const dp of domainPlans) {
    actions.push(...[...dp.creates, ...dp.deletes].sort(byPolicyThenSnapshot));
    kept.push(...dp.kept.sort(byPolicyThenSnapshot));
    findings.push(...(observedFindings.get(dp.ref.name) ?? []), ...dp.findings);
  }
  const result: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    at: input.now.toISOString(),
    fingerprint: fingerprintObserved(input.observed, scope),
    scope: scope ? [...scope].sort(cmp) : null,
    policies: policies.map((p) => ({ name: p.name, revision: p.revision })),
    actions,
    kept,
    findings,
  };
  if (input.observed.filesystems || verdict.heldList.length || heldDeletes.length) {
    result.capacity = { filesystems: planFilesystems(input.observed, capLimits, verdict.createBytes, freesBytes), held: verdict.heldList };
    if (heldDeletes.length) result.capacity.heldDeletes = heldDeletes;
  }
  return result;
}

/**
 * The domains to plan and the plan's scope: `domains`, else those of `domainNames`, else every
 * observed domain; never one that `observed.skipped` names (by key, or by name when it has no
 * key). `skippedNames`: skipped domains a scoped plan names, whose findings it reports.
 */
function planScope(input: PlanInput): { domains: Domain[]; scope: Set<string> | null; skippedNames: Set<string> } {
  const skipped = input.observed.skipped ?? [];
  const skippedKeys = new Set(skipped.flatMap((s) => (s.key ? [s.key] : [])));
  const isSkipped = (d: Domain) => skippedKeys.has(d.key) || skipped.some((s) => s.key === null && s.name === d.name);
  const names = input.domainNames ? new Set(input.domainNames) : null;
  const wanted = input.domains ?? input.observed.domains.map((od) => od.domain).filter((d) => !names || names.has(d.name));
  const scoped = input.domains !== undefined || names !== null;
  const inScope = skipped.filter((s) => (names ? names.has(s.name) : wanted.some((d) => d.name === s.name)));
  const scope = scoped ? new Set([...wanted.map((d) => d.key), ...inScope.flatMap((s) => (s.key ? [s.key] : []))]) : null;
  return { domains: wanted.filter((d) => !isSkipped(d)), scope, skippedNames: new Set(scoped ? inScope.map((s) => s.name) : []) };
}

/** Sets `frees` on the deletes still planned; returns the bytes freed per filesystem id. */
function attachFrees(plans: readonly DomainPlan[], snapsByKey: ReadonlyMap<string, ObservedSnapshot[]>, observedByKey: ReadonlyMap<string, ObservedDomain>): Map<string, number> {
  const byFs = new Map<string, number>();
  for (const dp of plans) {
    if (dp.deletes.length === 0) continue;
    const snaps = new Map((snapsByKey.get(dp.ref.key) ?? []).map((s) => [s.name, s]));
    for (const a of dp.deletes) {
      const s = snaps.get(a.snapshot);
      const f = s ? estimateFrees(s, observedByKey.get(dp.ref.key), a.merge ?? null) : null;
      if (!f) continue;
      a.frees = f.bytes;
      for (const [id, n] of f.byFs) if (id !== null) byFs.set(id, (byFs.get(id) ?? 0) + n);
    }
  }
  return byFs;
}

function groupFindings(list: Finding[]): Map<string | null, Finding[]> {
  const m = new Map<string | null, Finding[]>();
  for (const f of list) {
    const k = f.domain?.name ?? null;
    let g = m.get(k);
    if (!g) m.set(k, (g = []));
    g.push(f);
  }
  return m;
}

function byPolicyThenSnapshot(a: { policy: string | null; snapshot: string }, b: { policy: string | null; snapshot: string }): number {
  return cmp(a.policy ?? '', b.policy ?? '') || cmp(a.snapshot, b.snapshot);
}

/** Code-unit order: stable across locales, and fast. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
