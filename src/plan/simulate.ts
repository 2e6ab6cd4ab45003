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
  /** Most snapshots present at once (after a slot's plan ran), and the first slot it happened. */
  peakSnapshots: number;
  peakSnapshotsAt: string | null;
  /** With a disk growth rate: the space the snapshots and leaf hold at the worst moment (spaceHeld). */
  space?: { growthBytesPerHour: number; peakBytes: number; peakAt: string | null };
}

/**
 * The space model: a snapshot holds the data written between the previous surviving snapshot
 * and itself (growth × that interval), the leaf what was written since the newest. Summed, that
 * is growth × (t − oldest survivor's slot): every write since the oldest snapshot, as if no
 * write ever overwrote an earlier one (the worst case). Highest just before a slot's plan runs.
 */
export function spaceHeld(growthBytesPerHour: number, oldestMs: number, atMs: number): number {
  return Math.round((growthBytesPerHour * (atMs - oldestMs)) / 3_600_000);
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
export function simulate(input: { policy: Policy; from: Date; to: Date; diskGrowthBytesPerHour?: number }): SimulateResult {
  const p = simulatedPolicy(input.policy);
  let observed = emptySimObserved();
  let created = 0;
  let lastKept: PlanKept[] = [];
  const limits = { maxDeletes: Number.POSITIVE_INFINITY, halfGuard: false };
  const growth = input.diskGrowthBytesPerHour;
  let peak = 0;
  let peakAt: number | null = null;
  let peakBytes = 0;
  let peakBytesAt: number | null = null;
  const held = (at: number) => {
    if (growth === undefined || observed.snapshots.length === 0) return;
    const bytes = spaceHeld(growth, Math.min(...observed.snapshots.map((s) => slotMsOf(s) ?? at)), at);
    if (bytes > peakBytes) [peakBytes, peakBytesAt] = [bytes, at];
  };
  for (const slot of slotsBetween(p.schedule, p.timezone, input.from.getTime(), input.to.getTime())) {
    held(slot);
    const pl = plan({ policies: [p], observed, now: new Date(slot), limits });
    for (const a of pl.actions) if (a.action === 'create') created++;
    observed = applyPlanInMemory(observed, pl, [p]);
    if (observed.snapshots.length > peak) [peak, peakAt] = [observed.snapshots.length, slot];
  }
  held(input.to.getTime());
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
    peakSnapshots: peak,
    peakSnapshotsAt: peakAt === null ? null : isoSeconds(peakAt),
    ...(growth === undefined ? {} : { space: { growthBytesPerHour: growth, peakBytes, peakAt: peakBytesAt === null ? null : isoSeconds(peakBytesAt) } }),
  };
}
