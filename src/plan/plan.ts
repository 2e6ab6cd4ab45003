import type { Domain } from '../model/domain.js';
import type { Finding, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { fingerprintObserved } from './fingerprint.js';
import { applyLimits } from './limits.js';
import { planDomain, type DomainPlan } from './plan-domain.js';
import type { PlanInput } from './plan-input.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanAction, type PlanKept } from './plan-types.js';
import { policyContext } from './policy-context.js';
import { defaultRefusal } from './snapshotability.js';

export type { PlanInput } from './plan-input.js';

/**
 * The planner: a pure function of policies, domains, observation, `now` and limits.
 * Follows DESIGN.md "Schedule and retention semantics"; see plan-domain.ts for one domain
 * and limits.ts for the run-wide holds. Output order is deterministic.
 */
export function plan(input: PlanInput): Plan {
  const nowMs = input.now.getTime();
  const refusal = input.refusal ?? defaultRefusal;
  const policies = [...input.policies].sort((a, b) => cmp(a.name, b.name));
  const contexts = policies.map((p) => policyContext(p, nowMs));
  const policyNames = new Set(policies.map((p) => p.name));

  const observedByKey = new Map<string, ObservedDomain>();
  for (const od of input.observed.domains) observedByKey.set(od.domain.key, od);
  const domains: Domain[] = input.domains ?? input.observed.domains.map((od) => od.domain);
  const scope = input.domains ? new Set(domains.map((d) => d.key)) : null;
  const sorted = [...domains].sort((a, b) => cmp(a.name, b.name) || cmp(a.key, b.key));

  const snapsByKey = new Map<string, ObservedSnapshot[]>();
  for (const s of input.observed.snapshots) {
    let list = snapsByKey.get(s.domainKey);
    if (!list) snapsByKey.set(s.domainKey, (list = []));
    list.push(s);
  }

  const domainPlans: DomainPlan[] = [];
  for (const d of sorted) {
    const dp = planDomain(d, observedByKey.get(d.key), snapsByKey.get(d.key) ?? [], contexts, policyNames, refusal);
    dp.deletes.sort(byPolicyThenSnapshot);
    domainPlans.push(dp);
  }
  applyLimits(domainPlans, input.limits);

  const actions: PlanAction[] = [];
  const kept: PlanKept[] = [];
  const findings: Finding[] = [];
  const observedFindings = groupFindings(input.observed.findings);
  if (scope === null) {
    // host-wide observation findings, and those of domains the inventory no longer lists
    const planned = new Set(domainPlans.map((dp) => dp.ref.name));
    findings.push(...(observedFindings.get(null) ?? []));
    for (const [name, list] of observedFindings) if (name !== null && !planned.has(name)) findings.push(...list);
  }
  for (const dp of domainPlans) {
    actions.push(...[...dp.creates, ...dp.deletes].sort(byPolicyThenSnapshot));
    kept.push(...dp.kept.sort(byPolicyThenSnapshot));
    findings.push(...(observedFindings.get(dp.ref.name) ?? []), ...dp.findings);
  }
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    at: input.now.toISOString(),
    fingerprint: fingerprintObserved(input.observed, scope),
    scope: scope ? [...scope].sort(cmp) : null,
    policies: policies.map((p) => ({ name: p.name, revision: p.revision })),
    actions,
    kept,
    findings,
  };
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
