import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import type { OwnedStepJournal, Progress } from '../backend.js';
import { stepLabel } from '../../journal/step-names.js';
import type { QdiskOnlineStep } from './online-steps.js';
import { chainOf, findTop, imagePathOf, readBlockGraph } from './node-graph.js';

/**
 * Internal disk-only snapshot of a running or paused domain: one `transaction` of
 * `blockdev-snapshot-internal-sync` over every disk's active node, so all disks or none get the tag.
 * A name already present anywhere in a disk's live chain is refused before anything changes.
 */
export async function createInternalOnline(
  client: QmpClient,
  disks: Disk[],
  name: string,
  journal: OwnedStepJournal<QdiskOnlineStep>,
  progress?: Progress,
): Promise<SnapshotDiskRecord[]> {
  const graph = await readBlockGraph(client);
  const tops = disks.map((disk) => {
    const top = findTop(graph, disk.path, disk.vdev);
    if (top.drv !== 'qcow2') throw new BackendError(`disk ${disk.vdev}: internal snapshots need a qcow2 image, but ${disk.path} is ${top.drv}`);
    for (const n of chainOf(graph, top)) {
      if (n.snapshots.includes(name)) {
        throw new BackendError(`disk ${disk.vdev}: an internal snapshot named "${name}" already exists in ${imagePathOf(graph, n)}`);
      }
    }
    return { disk, top };
  });
  const actions = tops.map(({ top }) => ({ type: 'blockdev-snapshot-internal-sync', data: { device: top.name, name } }));
  await journal.intent('qdisk-online.internal-transaction', { name, disks: tops.map(({ disk, top }) => ({ vdev: disk.vdev, node: top.name, path: disk.path })) });
  await client.execute('transaction', { actions });
  await journal.done('qdisk-online.internal-transaction');
  progress?.({ step: 'qdisk-online.internal-transaction', done: 1, total: 1 });
  return tops.map(({ disk }) => ({ vdev: disk.vdev, format: 'qcow2', backend: disk.backend, tag: name }));
}

/**
 * Deletes an internal snapshot from each disk with `blockdev-snapshot-delete-internal-sync` on the
 * active node whose table holds the tag; a tag that now sits in a frozen image below is refused.
 * A disk whose chain no longer holds the tag is skipped, so a retried delete finishes cleanly.
 */
export async function deleteInternalOnline(
  client: QmpClient,
  disks: Disk[],
  records: SnapshotDiskRecord[],
  journal: OwnedStepJournal<QdiskOnlineStep>,
  progress?: Progress,
): Promise<void> {
  // Find every holder first, so a refusal on one disk leaves all disks untouched.
  const graph = await readBlockGraph(client);
  const work = records.map((rec) => {
    const disk = disks.find((d) => d.vdev === rec.vdev);
    if (!disk) throw new BackendError(`the domain has no disk ${rec.vdev}`);
    const tag = rec.tag;
    if (!tag) throw new BackendError(`disk ${rec.vdev}: the snapshot record names no internal tag`);
    const top = findTop(graph, disk.path, disk.vdev);
    const holder = chainOf(graph, top).find((n) => n.snapshots.includes(tag)) ?? null;
    if (holder && holder !== top) {
      // QEMU answers "Need a root block node" for a backing node; a frozen image is read-only to us.
      throw new BackendError(
        `disk ${rec.vdev}: internal snapshot "${tag}" lives in ${imagePathOf(graph, holder)}, below the active image; QEMU deletes internal snapshots only in the active image of a running domain, so delete it while the domain is shut off`,
      );
    }
    return { rec, tag, holder };
  });
  let done = 0;
  for (const { rec, tag, holder } of work) {
    const key = stepLabel('qdisk-online.delete-internal', { vdev: rec.vdev });
    if (holder) {
      await journal.intent('qdisk-online.delete-internal', { vdev: rec.vdev, node: holder.name, path: imagePathOf(graph, holder), tag });
      await client.execute('blockdev-snapshot-delete-internal-sync', { device: holder.name, name: tag });
      await journal.done('qdisk-online.delete-internal');
    }
    progress?.({ step: key, done: ++done, total: records.length });
  }
}
