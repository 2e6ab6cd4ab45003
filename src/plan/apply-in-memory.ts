import type { Observed } from '../model/observed.js';
import type { Policy } from '../model/policy.js';
import type { ObservedSnapshot, SnapshotRecord } from '../model/snapshot.js';
import { METADATA_FORMAT_VERSION } from '../model/snapshot.js';
import type { Plan } from './plan-types.js';

/**
 * What the world would look like after a plan ran without failures: deleted snapshots gone,
 * created ones present with the record apply would write (created at `plan.at`). Pure; the
 * input is not changed. For simulate and tests; chains and sizes are not modelled.
 */
export function applyPlanInMemory(observed: Observed, plan: Plan, policies: readonly Policy[]): Observed {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const gone = new Set<string>();
  for (const a of plan.actions) if (a.action === 'delete') gone.add(`${a.domain.key}\u0000${a.snapshot}`);
  const snapshots = observed.snapshots.filter((s) => !gone.has(`${s.domainKey}\u0000${s.name}`));
  const domains = new Map(observed.domains.map((od) => [od.domain.key, od.domain]));
  for (const a of plan.actions) {
    if (a.action !== 'create') continue;
    const p = a.policy === null ? undefined : byName.get(a.policy);
    const domain = domains.get(a.domain.key);
    const disks = a.disks.map((vdev) => {
      const d = domain?.disks.find((x) => x.vdev === vdev);
      return { vdev, format: d?.format ?? 'qcow2', backend: d?.backend ?? 'qdisk' };
    });
    const record: SnapshotRecord = {
      formatVersion: METADATA_FORMAT_VERSION,
      name: a.snapshot,
      description: '',
      domain: { uuid: a.domain.uuid, name: a.domain.name },
      createdAt: plan.at,
      slot: a.slot,
      policy: a.policy,
      policyRevision: p?.revision ?? null,
      deletionPolicy: p?.deletionPolicy ?? 'Retain',
      managedBy: 'xensnap',
      mode: a.mode,
      type: a.type,
      domainState: domain?.state ?? 'running',
      memoryFile: null,
      pinned: false,
      disks,
    };
    const snap: ObservedSnapshot = {
      domainKey: a.domain.key,
      name: a.snapshot,
      createdAt: plan.at,
      managed: true,
      record,
      type: a.type,
      disks,
    };
    snapshots.push(snap);
  }
  return { ...observed, snapshots };
}
