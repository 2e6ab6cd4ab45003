import type { Finding } from '../model/observed.js';
import type { DomainPlan } from './plan-domain.js';
import type { PlanLimits } from './plan-input.js';

/**
 * Applies the run-wide holds, in plan order (domains by name; within one, deletes by policy
 * then snapshot name, so oldest first): no delete for a domain whose create cannot happen;
 * the more-than-half guard per domain; then `maxDeletes` across the run. A held delete becomes a kept entry with rule `held-back`
 * and each domain affected gets one `held-back` finding per cause. Mutates the domain plans.
 */
export function applyLimits(domains: DomainPlan[], limits: PlanLimits): void {
  let budget = Math.max(0, Math.floor(limits.maxDeletes));
  const halfGuard = limits.halfGuard ?? true;
  for (const d of domains) {
    if (d.deletes.length === 0) continue;
    const fref = { uuid: d.ref.uuid, name: d.ref.name };
    let cause: string | null = null;
    if (d.blockDeletes) cause = `${d.blockDeletes}, so no snapshot of this domain is deleted`;
    else if (halfGuard && d.deletes.length * 2 > d.managedAfterCreate) {
      cause = `deleting them would remove more than half of the domain's ${d.managedAfterCreate} managed snapshots`;
    }
    if (cause) {
      hold(d, d.deletes.length, cause, fref);
      continue;
    }
    if (d.deletes.length > budget) {
      hold(d, d.deletes.length - budget, `the run's limit maxDeletes=${limits.maxDeletes} is reached`, fref);
    }
    budget -= d.deletes.length;
  }
}

/** Holds back the last `count` deletes of a domain (the ones latest in plan order). */
function hold(d: DomainPlan, count: number, cause: string, fref: Finding['domain']): void {
  const held = d.deletes.splice(d.deletes.length - count, count);
  for (const a of held) d.kept.push({ domain: d.ref, policy: a.policy, snapshot: a.snapshot, rules: ['held-back'] });
  d.findings.push({ kind: 'held-back', domain: fref, message: `${count} delete${count === 1 ? '' : 's'} held back: ${cause}` });
}
