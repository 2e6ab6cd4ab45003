import type { Domain } from '../model/domain.js';
import { DEFAULT_LIMITS } from '../model/host-config.js';
import type { CapacityLimits, Finding, Observed, ObservedDomain, ObservedFilesystem } from '../model/observed.js';
import { estimateCreate } from './capacity-estimate.js';
import { formatBytes as capacityBytes } from '../util/format-bytes.js';
import { tooDeep } from './chain-depth.js';
import type { DomainPlan } from './plan-domain.js';
import type { PlanLimits } from './plan-input.js';
import type { CreateEstimate, PlanFilesystem, PlanHeldCreate } from './plan-types.js';

/** The storage limits in force: PlanLimits, else the observed host's, else the defaults. */
export function capacityLimits(limits: PlanLimits, observed: Observed): CapacityLimits {
  const o = observed.limits;
  return {
    minFreePercent: limits.minFreePercent ?? o?.minFreePercent ?? DEFAULT_LIMITS.minFreePercent,
    minFreeBytes: limits.minFreeBytes ?? o?.minFreeBytes ?? DEFAULT_LIMITS.minFreeBytes,
    maxChainDepth: limits.maxChainDepth ?? o?.maxChainDepth ?? DEFAULT_LIMITS.maxChainDepth,
  };
}

/** Free bytes a filesystem must keep: the larger of minFreeBytes and minFreePercent of its size. */
export function limitBytes(fs: Pick<ObservedFilesystem, 'totalBytes'>, l: CapacityLimits): number {
  return Math.max(l.minFreeBytes, Math.ceil((fs.totalBytes * l.minFreePercent) / 100));
}

/**
 * The storage guard's verdict over the candidate creates. Always: a held create has exactly
 * one `capacity` finding (in `findings` under its domain key) and no estimate is charged for
 * it; `createBytes` sums the estimates of the creates still planned, per filesystem id.
 */
export interface CapacityVerdict {
  /** Domain key → policies whose create is held. */
  held: Map<string, Set<string>>;
  findings: Map<string, Finding[]>;
  /** `<domain key>\0<policy>` → estimate of that create. */
  estimates: Map<string, CreateEstimate>;
  createBytes: Map<string, number>;
  /** The held creates, in plan order. */
  heldList: PlanHeldCreate[];
}

/**
 * Checks the creates in plan order: an external create that would make a chain deeper than
 * maxChainDepth is held; so is one that would leave a measured filesystem with less free
 * space than its limit, counting the creates planned before it. Freed space is not credited:
 * merges may run after the creates, and need room of their own while they do.
 */
export function guardCreates(
  plans: readonly DomainPlan[],
  domains: ReadonlyMap<string, Domain>,
  observedByKey: ReadonlyMap<string, ObservedDomain>,
  observed: Observed,
  limits: CapacityLimits,
): CapacityVerdict {
  const fsById = new Map((observed.filesystems ?? []).map((f) => [f.id, f]));
  const v: CapacityVerdict = { held: new Map(), findings: new Map(), estimates: new Map(), createBytes: new Map(), heldList: [] };
  for (const dp of plans) {
    const domain = domains.get(dp.ref.key);
    if (!domain) continue;
    const od = observedByKey.get(dp.ref.key);
    for (const a of dp.creates) {
      const policy = a.policy!;
      // estimates belong to the storage guard: only an observation that measured space gets them
      const est = observed.filesystems ? estimateCreate(a, domain, od, observed.stateDir?.fs ?? null) : null;
      if (est) v.estimates.set(`${dp.ref.key}\u0000${policy}`, est.estimate);
      let why: string | null = null;
      let heldAs: PlanHeldCreate | null = null;
      const deep = a.type === 'external' ? tooDeep(od, a.disks, limits.maxChainDepth) : null;
      if (deep) {
        heldAs = { domain: dp.ref, policy, snapshot: a.snapshot, reason: 'chain-depth', vdev: deep.vdev };
        why = `disk ${deep.vdev} has a chain ${deep.depth} images deep and limits.maxChainDepth is ${limits.maxChainDepth}; another external snapshot would make it ${deep.depth + 1}`;
      } else if (est) {
        for (const [id, n] of est.byFs) {
          const fs = id === null ? undefined : fsById.get(id);
          if (!fs) continue;
          const before = v.createBytes.get(fs.id) ?? 0;
          const limit = limitBytes(fs, limits);
          if (fs.freeBytes - before - n >= limit) continue;
          const earlier = before > 0 ? `, ${capacityBytes(before)} of it taken by creates planned before` : '';
          const which = limit === limits.minFreeBytes && limits.minFreeBytes > 0 ? `limits.minFreeBytes=${limits.minFreeBytes}` : `limits.minFreePercent=${limits.minFreePercent}`;
          heldAs = { domain: dp.ref, policy, snapshot: a.snapshot, reason: 'free-space', fs: fs.id };
          why = `filesystem ${fs.mount} has ${capacityBytes(fs.freeBytes)} free of ${capacityBytes(fs.totalBytes)}${earlier}; this create needs about ${capacityBytes(n)} and would leave less than the limit of ${capacityBytes(limit)} (${which})`;
          break;
        }
      }
      if (why && heldAs) {
        v.heldList.push(heldAs);
        let h = v.held.get(dp.ref.key);
        if (!h) v.held.set(dp.ref.key, (h = new Set()));
        h.add(policy);
        let f = v.findings.get(dp.ref.key);
        if (!f) v.findings.set(dp.ref.key, (f = []));
        f.push({ kind: 'capacity', domain: { uuid: dp.ref.uuid, name: dp.ref.name }, message: `policy ${policy}: snapshot ${a.snapshot} is not created: ${why}` });
        continue;
      }
      if (est) for (const [id, n] of est.byFs) if (id !== null) v.createBytes.set(id, (v.createBytes.get(id) ?? 0) + n);
    }
  }
  return v;
}

/** The plan's per-filesystem view: measured space, limit, and what the plan adds and frees. */
export function planFilesystems(observed: Observed, limits: CapacityLimits, createBytes: ReadonlyMap<string, number>, freesBytes: ReadonlyMap<string, number>): PlanFilesystem[] {
  return (observed.filesystems ?? []).map((fs) => ({
    id: fs.id,
    mount: fs.mount,
    freeBytes: fs.freeBytes,
    totalBytes: fs.totalBytes,
    limitBytes: limitBytes(fs, limits),
    createBytes: createBytes.get(fs.id) ?? 0,
    freesBytes: freesBytes.get(fs.id) ?? 0,
  }));
}
