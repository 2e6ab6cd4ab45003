// Builders for planner tests: policies, domains and observations as plain data.
import type { Disk, Domain } from '../../src/model/domain.js';
import type { Observed } from '../../src/model/observed.js';
import type { Policy, Retention } from '../../src/model/policy.js';
import type { ObservedSnapshot } from '../../src/model/snapshot.js';

export function policy(name: string, over: Partial<Policy> = {}, retention: Retention = { keepLast: 3 }): Policy {
  return {
    name,
    description: '',
    selector: { names: ['*'], uuids: [], exclude: [], states: [] },
    disks: null,
    schedule: '0 * * * *',
    timezone: 'UTC',
    mode: 'disk-only',
    type: 'external',
    quiesce: 'off',
    hooks: null,
    retention,
    deletionPolicy: 'Retain',
    source: { file: 'policies/p.yaml', line: 1, col: 1 },
    revision: null,
    ...over,
  };
}

export function disk(vdev: string, over: Partial<Disk> = {}): Disk {
  return { vdev, path: `/srv/images/${vdev}.qcow2`, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false, ...over };
}

export function domain(name: string, over: Partial<Domain> = {}): Domain {
  return { key: `name-${name}`, uuid: null, name, state: 'running', disks: [disk('xvda')], ...over };
}

export interface SnapOpts {
  slot?: string | null;
  createdAt?: string;
  pinned?: boolean;
  deletionPolicy?: 'Retain' | 'Delete';
  type?: 'internal' | 'external';
  frozen?: string;
}

/** A managed snapshot of `policyName` (null: manual) named as the planner names it. */
export function managed(d: Domain, policyName: string | null, name: string, o: SnapOpts = {}): ObservedSnapshot {
  const type = o.type ?? 'external';
  const disks = [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk' as const, ...(type === 'external' ? { frozenPath: o.frozen ?? `/srv/images/xvda.${name}.qcow2` } : { tag: name }) }];
  const createdAt = o.createdAt ?? o.slot ?? '2026-01-01T00:00:00Z';
  return {
    domainKey: d.key,
    name,
    createdAt,
    managed: true,
    type,
    disks,
    record: {
      formatVersion: 1,
      name,
      description: '',
      domain: { uuid: d.uuid, name: d.name },
      createdAt,
      slot: o.slot === undefined ? null : o.slot,
      policy: policyName,
      policyRevision: null,
      deletionPolicy: o.deletionPolicy ?? 'Retain',
      managedBy: 'xensnap',
      mode: 'disk-only',
      type,
      domainState: 'running',
      memoryFile: null,
      pinned: o.pinned ?? false,
      disks,
    },
  };
}

/** A policy snapshot filling `slotIso`, named `<policy>-<stamp>`. */
export function slotSnap(d: Domain, policyName: string, slotIso: string, o: SnapOpts = {}): ObservedSnapshot {
  const stamp = slotIso.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return managed(d, policyName, `${policyName}-${stamp}`, { ...o, slot: slotIso });
}

export function foreign(d: Domain, name: string, createdAt = '2025-06-01T00:00:00Z'): ObservedSnapshot {
  return { domainKey: d.key, name, createdAt, managed: false, record: null, type: 'internal', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: name }] };
}

export function observed(domains: Domain[], snapshots: ObservedSnapshot[]): Observed {
  return { formatVersion: 1, domains: domains.map((d) => ({ domain: d, disks: [] })), snapshots, findings: [] };
}

/** Hourly ISO slots ending at `lastIso`, oldest first. */
export function hourlySlots(lastIso: string, count: number, stepHours = 1): string[] {
  const last = Date.parse(lastIso);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) out.push(new Date(last - i * stepHours * 3_600_000).toISOString().replace('.000Z', 'Z'));
  return out;
}
