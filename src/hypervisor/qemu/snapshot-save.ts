import { randomBytes } from 'node:crypto';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { runJob } from '../../qmp/jobs.js';
import { chainOf, findTop, readBlockGraph } from '../../backends/qdisk/node-graph.js';

interface NamedNode {
  'node-name': string;
  image?: { snapshots?: Array<{ name: string; 'vm-state-size'?: number }> };
}

/** The top node name of every disk, refusing a non-qcow2 top or a tag already in a chain. */
export async function internalTargets(client: QmpClient, disks: Disk[], tag: string): Promise<string[]> {
  const graph = await readBlockGraph(client);
  return disks.map((disk) => {
    const top = findTop(graph, disk.path, disk.vdev);
    if (top.drv !== 'qcow2') throw new BackendError(`disk ${disk.vdev}: internal snapshots need qcow2, but ${disk.path} is ${top.drv}`);
    if (chainOf(graph, top).some((n) => n.snapshots.includes(tag))) throw new BackendError(`disk ${disk.vdev}: an internal snapshot named "${tag}" already exists`);
    return top.name;
  });
}

/**
 * Internal snapshot with memory on a standalone QEMU: one `snapshot-save` job writing the VM state
 * into the first disk's image and a tag into every disk. A failed job can leave the tag on some
 * images; those are deleted again (`snapshot-delete` job) so a failure leaves no partial snapshot.
 * Resolves with the disk records and the size of the saved VM state.
 */
export async function snapshotSaveLive(client: QmpClient, disks: Disk[], tag: string): Promise<{ disks: SnapshotDiskRecord[]; vmStateBytes: number }> {
  const nodes = await internalTargets(client, disks, tag);
  const jobId = `xensnap-save-${randomBytes(3).toString('hex')}`;
  try {
    await runJob(client, jobId, () => client.execute('snapshot-save', { 'job-id': jobId, tag, vmstate: nodes[0], devices: nodes }), { timeoutMs: 600_000, pollMs: 5 });
  } catch (err) {
    const left = await nodesWithTag(client, nodes, tag).catch(() => nodes);
    if (left.length) {
      const del = `xensnap-undo-${randomBytes(3).toString('hex')}`;
      await runJob(client, del, () => client.execute('snapshot-delete', { 'job-id': del, tag, devices: left }), { timeoutMs: 120_000 }).catch((e: Error) => {
        (err as Error).message += `; removing the partial tag ${tag} from ${left.join(', ')} failed: ${e.message}`;
      });
    }
    throw err;
  }
  const named = await client.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
  const snap = named.find((n) => n['node-name'] === nodes[0])?.image?.snapshots?.find((s) => s.name === tag);
  return {
    disks: disks.map((d) => ({ vdev: d.vdev, format: 'qcow2', backend: d.backend, tag })),
    vmStateBytes: snap?.['vm-state-size'] ?? 0,
  };
}

async function nodesWithTag(client: QmpClient, nodes: string[], tag: string): Promise<string[]> {
  const named = await client.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
  return nodes.filter((n) => named.find((x) => x['node-name'] === n)?.image?.snapshots?.some((s) => s.name === tag));
}
