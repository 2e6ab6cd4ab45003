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
