import type { Domain } from '../model/domain.js';
import type { Observed } from '../model/observed.js';
import type { Policy } from '../model/policy.js';
import { applyPlanInMemory } from './apply-in-memory.js';
import { plan } from './plan.js';
import type { PlanKept } from './plan-types.js';
import { isoSeconds, slotsBetween } from './slots.js';
import { slotMsOf } from './snapshot-time.js';

/**
 * The result of replaying one policy on one synthetic domain. `survivors` are slots (ISO UTC)
 * ascending; `created` counts every snapshot made in the span, survivors included.
 */
export interface SimulateResult {
  formatVersion: 1;
  policy: string;
  from: string;
  to: string;
  created: number;
  survivors: string[];
  /** For the human view: the rules that keep each survivor, aligned with `survivors`. */
  rules: string[][];
}

/** The synthetic domain simulate plans for: one running qcow2 disk, selected by the policy. */
export const SIM_DOMAIN: Domain = {
  key: 'name-simulated',
  uuid: null,
  name: 'simulated',
  state: 'running',
  disks: [{ vdev: 'xvda', path: '/simulated/xvda.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }],
};

/** The policy as simulate runs it: selecting the synthetic domain and its one disk. */
export function simulatedPolicy(policy: Policy): Policy {
  return { ...policy, selector: { names: [SIM_DOMAIN.name], uuids: [], exclude: [], states: [] }, disks: null };
}

export function emptySimObserved(): Observed {
  return { formatVersion: 1, domains: [{ domain: SIM_DOMAIN, disks: [] }], snapshots: [], findings: [] };
}

/**
 * At every slot in [from, to]: plan at that moment (which creates the due snapshot and applies
 * retention), then apply the plan in memory. Run limits are off: they protect a host from a
 * mistaken policy, they are not part of what the policy means.
 */
export function simulate(input: { policy: Policy; from: Date; to: Date }): SimulateResult {
  const p = simulatedPolicy(input.policy);
  let observed = emptySimObserved();
  let created = 0;
  let lastKept: PlanKept[] = [];
  const limits = { maxDeletes: Number.POSITIVE_INFINITY, halfGuard: false };
  for (const slot of slotsBetween(p.schedule, p.timezone, input.from.getTime(), input.to.getTime())) {
    const pl = plan({ policies: [p], observed, now: new Date(slot), limits });
    for (const a of pl.actions) if (a.action === 'create') created++;
    observed = applyPlanInMemory(observed, pl, [p]);
  }
  if (observed.snapshots.length > 0) {
    // one more look at the last moment gives the rules that keep each survivor
    const last = Math.max(...observed.snapshots.map((s) => slotMsOf(s) ?? 0));
    lastKept = plan({ policies: [p], observed, now: new Date(last), limits }).kept;
  }
  const rulesByName = new Map(lastKept.map((k) => [k.snapshot, k.rules]));
  const survivors = observed.snapshots
    .map((s) => ({ ms: slotMsOf(s) ?? 0, name: s.name }))
    .sort((a, b) => a.ms - b.ms);
  return {
    formatVersion: 1,
    policy: input.policy.name,
    from: isoSeconds(input.from.getTime()),
    to: isoSeconds(input.to.getTime()),
    created,
    survivors: survivors.map((s) => isoSeconds(s.ms)),
    rules: survivors.map((s) => rulesByName.get(s.name) ?? []),
  };
}
