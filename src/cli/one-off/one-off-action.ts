import type { Disk, Domain } from '../../model/domain.js';
import type { Observed } from '../../model/observed.js';
import type { SnapshotMode, SnapshotType } from '../../model/policy.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import type { ExecAction } from '../../apply/execute-types.js';
import { backendRefusal } from '../../backends/backend-refusal.js';
import { decideSnapshotDelete, domainGraphs, unreadableDirsOf } from '../../plan/graph/snapshot-delete.js';
import { UserInputError } from '../../errors.js';

/**
 * The disks a one-off create takes: without `--disks`, every disk but CD-ROMs and read-only
 * ones (as a policy without `disks`); named disks must exist and be writable. Every chosen disk
 * must pass the backends' refusal matrix — all refusals are reported together.
 */
export function chooseDisks(domain: Domain, named: string[] | null, type: SnapshotType): Disk[] {
  let disks: Disk[];
  if (named === null) {
    disks = domain.disks.filter((d) => !d.cdrom && !d.readonly);
    if (!disks.length) throw new UserInputError(`create: domain ${domain.name} has no disk to snapshot`);
  } else {
    disks = [];
    for (const vdev of named) {
      const d = domain.disks.find((x) => x.vdev === vdev);
      if (!d) throw new UserInputError(`create: domain ${domain.name} has no disk ${vdev} (it has ${domain.disks.map((x) => x.vdev).join(', ') || 'none'})`);
      if (d.cdrom) throw new UserInputError(`create: disk ${vdev} of ${domain.name} is a CD-ROM; CD-ROMs are never snapshotted`);
      if (d.readonly) throw new UserInputError(`create: disk ${vdev} of ${domain.name} is read-only; read-only disks are never snapshotted`);
      disks.push(d);
    }
  }
  const refused = disks.flatMap((d) => {
    const why = backendRefusal(d, type);
    return why === null ? [] : [`disk ${d.vdev} (${d.backend}, ${d.format}) cannot take an ${type} snapshot: ${why}`];
  });
  if (refused.length) throw new UserInputError(`create: ${refused.join('; ')}; nothing was changed`);
  return disks;
}

/** What `create` was asked for, after validation. */
export interface CreateRequestArgs {
  name: string;
  mode: SnapshotMode;
  type: SnapshotType;
  disks: Disk[];
  description: string | null;
  pin: boolean;
}

/** The one-action plan of `create`: a manual snapshot (policy and slot null) through the executor. */
export function createAction(domain: Domain, req: CreateRequestArgs): ExecAction {
  return {
    action: 'create',
    domain: { key: domain.key, uuid: domain.uuid, name: domain.name },
    policy: null,
    snapshot: req.name,
    slot: null,
    mode: req.mode,
    type: req.type,
    disks: req.disks.map((d) => d.vdev),
    reason: 'manual create',
    ...(req.description !== null ? { description: req.description } : {}),
    ...(req.pin ? { pin: true } : {}),
  };
}

/**
 * The one-action plan of `delete`, its per-disk steps decided on the disks' graphs as the planner
 * decides them; refused, changing nothing, when no step keeps every other snapshot exact now.
 */
export function deleteAction(domain: Domain, snap: ObservedSnapshot, observed: Observed): ExecAction {
  const od = observed.domains.find((d) => d.domain.key === domain.key);
  const graphs = domainGraphs(od, observed.snapshots.filter((s) => s.domainKey === domain.key));
  const verdict = decideSnapshotDelete(graphs, domain, snap, unreadableDirsOf(observed));
  if ('blocked' in verdict) throw new UserInputError(`delete: snapshot "${snap.name}" of ${domain.name} cannot be deleted now: ${verdict.blocked}; nothing was changed`);
  const merge = verdict.merge;
  return {
    action: 'delete',
    domain: { key: domain.key, uuid: domain.uuid, name: domain.name },
    policy: snap.record?.policy ?? null,
    snapshot: snap.name,
    slot: snap.record?.slot ?? null,
    mode: snap.record?.mode ?? 'disk-only',
    type: snap.type,
    disks: snap.disks.map((d) => d.vdev),
    reason: snap.managed ? 'manual delete' : 'manual delete of a foreign snapshot (--foreign)',
    ...(merge ? { merge } : {}),
    ...(snap.managed ? {} : { foreign: true }),
  };
}
