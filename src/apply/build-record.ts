import type { Domain } from '../model/domain.js';
import type { Policy } from '../model/policy.js';
import type { SnapshotDiskRecord, SnapshotRecord } from '../model/snapshot.js';
import { METADATA_FORMAT_VERSION } from '../model/snapshot.js';
import type { ExecAction } from './execute-types.js';

/** What a create's journal keeps about the action, so recovery can write the same record. */
export interface RecordSeed {
  snapshot: string;
  description: string;
  slot: string | null;
  policy: string | null;
  policyRevision: string | null;
  deletionPolicy: 'Retain' | 'Delete';
  mode: ExecAction['mode'];
  type: ExecAction['type'];
  pin: boolean;
}

export function recordSeed(a: ExecAction, policies: Policy[]): RecordSeed {
  const policy = a.policy ? policies.find((p) => p.name === a.policy) : undefined;
  return {
    snapshot: a.snapshot,
    description: a.description ?? policy?.description ?? '',
    slot: a.slot,
    policy: a.policy,
    policyRevision: policy?.revision ?? null,
    deletionPolicy: policy?.deletionPolicy ?? 'Retain',
    mode: a.mode,
    type: a.type,
    pin: a.pin ?? false,
  };
}

/** The metadata record of a snapshot the backend confirmed. */
export function buildRecord(seed: RecordSeed, domain: Pick<Domain, 'uuid' | 'name' | 'state'>, disks: SnapshotDiskRecord[], createdAt: Date): SnapshotRecord {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    name: seed.snapshot,
    description: seed.description,
    domain: { uuid: domain.uuid, name: domain.name },
    createdAt: createdAt.toISOString(),
    slot: seed.slot,
    policy: seed.policy,
    policyRevision: seed.policyRevision,
    deletionPolicy: seed.deletionPolicy,
    managedBy: 'xensnap',
    mode: seed.mode,
    type: seed.type,
    domainState: domain.state,
    memoryFile: null,
    pinned: seed.pin,
    disks,
  };
}
