import { randomBytes } from 'node:crypto';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { runJob } from '../../qmp/jobs.js';
import { findTop, readBlockGraph } from '../../backends/qdisk/node-graph.js';

/**
 * Loads internal snapshot `tag` into a freshly started, stopped QEMU: one `snapshot-load` job with
 * the VM state from the first disk's image and every disk reverted. The tag must be in each
 * disk's active image (QEMU loads only from there).
 */
export async function snapshotLoad(client: QmpClient, disks: Disk[], tag: string): Promise<void> {
  const graph = await readBlockGraph(client);
  const nodes = disks.map((disk) => {
    const top = findTop(graph, disk.path, disk.vdev);
    if (!top.snapshots.includes(tag)) throw new BackendError(`disk ${disk.vdev}: the active image ${disk.path} has no internal snapshot "${tag}"`);
    return top.name;
  });
  const jobId = `xensnap-load-${randomBytes(3).toString('hex')}`;
  await runJob(client, jobId, () => client.execute('snapshot-load', { 'job-id': jobId, tag, vmstate: nodes[0], devices: nodes }), { timeoutMs: 600_000, pollMs: 5 });
}
