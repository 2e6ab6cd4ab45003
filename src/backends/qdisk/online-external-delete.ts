import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import { runJob } from '../../qmp/jobs.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { fsyncDir } from '../../util/atomic-file.js';
import type { OwnedStepJournal, Progress } from '../backend.js';
import { stepLabel } from '../../journal/step-names.js';
import type { QdiskOnlineStep } from './online-steps.js';
import { chainOf, findTop, imagePathOf, isImplicitNode, readBlockGraph, type BlockGraph, type BlockNode } from './node-graph.js';
import { pathExists } from './online-external-undo.js';
import { verifyBacking } from './online-image-info.js';

/**
 * Where a frozen image F sits in a live chain: C is the image directly above it (the next frozen
 * image or the leaf), P the one below (null when F is the base).
 */
interface MergePoint {
  disk: Disk;
  graph: BlockGraph;
  f: BlockNode;
  c: BlockNode;
  p: BlockNode | null;
}

/*
 * The merge rule. Every image below the leaf is some snapshot's content: a frozen image is the
 * disk as it was at its snapshot, and a base that was there before our snapshots is a foreign
 * snapshot or a shared template. Committing F into P rewrites P's content to F's, so P's own
 * snapshot (or every other user of a template) would silently change: never safe here. Streaming
 * F into C (`block-stream` on C's node down to P) copies into C only what C does not hold itself;
 * C's visible content is unchanged by construction and C then points at P with an explicit
 * `backing-file` string (P's real path, never a name QEMU remembers). So delete always streams.
 * Two cases would still change another snapshot and are refused before anything runs: internal
 * snapshots stored in F (they go away with F's file) and internal snapshots in C (their
 * unallocated clusters read through C's backing file, which the stream changes from F to P).
 */
function locate(graph: BlockGraph, disk: Disk, frozenPath: string): MergePoint | null {
  const chain = chainOf(graph, findTop(graph, disk.path, disk.vdev));
  const i = chain.findIndex((n) => imagePathOf(graph, n) === frozenPath);
  if (i < 0) return null;
  if (i === 0) throw new BackendError(`disk ${disk.vdev}: ${frozenPath} is the active image, not a frozen one`);
  const f = chain[i]!;
  const c = chain[i - 1]!;
  const p = chain[i + 1] ?? null;
  if (f.snapshots.length) {
    throw new BackendError(`disk ${disk.vdev}: ${frozenPath} holds internal snapshots (${f.snapshots.join(', ')}) that deleting it would destroy`);
  }
  if (c.snapshots.length) {
    throw new BackendError(
      `disk ${disk.vdev}: ${imagePathOf(graph, c)} holds internal snapshots (${c.snapshots.join(', ')}) that read through ${frozenPath}; merging would change them`,
    );
  }
  return { disk, graph, f, c, p };
}

/**
 * Streams the frozen image `frozen` into the image above it in the disk's live chain through a
 * QMP job, re-links that image to F's parent and drops F's nodes; F's file is left for the
 * caller to unlink once no other image reads through it. After an interrupted earlier run (F no
 * longer in the live chain) only F's dangling nodes are dropped.
 */
export async function streamIntoLiveChild(client: QmpClient, disk: Disk, frozen: string, journal: OwnedStepJournal<QdiskOnlineStep>, progress?: Progress): Promise<void> {
  const at = locate(await readBlockGraph(client), disk, frozen);
  if (at) await merge(client, at, frozen, journal, progress);
  else await dropDanglingNodes(client, disk.vdev, frozen);
}

/** True when a running QEMU has `path` open (as any node's file). */
export async function openInQemu(client: QmpClient, path: string): Promise<boolean> {
  const graph = await readBlockGraph(client);
  return [...graph.nodes.values()].some((n) => n.filename === path || imagePathOf(graph, n) === path);
}

/**
 * After a stop between the stream and `blockdev-del`, the frozen image is out of the chain but its
 * nodes are still open. Nodes nobody uses any more (no parent, no device) are dropped — format
 * node before its file node; a node something still uses means the graph is not what a delete
 * left behind, and nothing is touched.
 */
export async function dropDanglingNodes(client: QmpClient, vdev: string, frozen: string): Promise<void> {
  const graph = await readBlockGraph(client);
  const open = [...graph.nodes.values()].filter((n) => n.filename === frozen);
  if (!open.length) return;
  const formats = open.filter((n) => n.drv !== 'file');
  const files = open.filter((n) => n.drv === 'file');
  for (const n of formats) {
    if (n.attached || n.parents.length) throw new BackendError(`disk ${vdev}: ${frozen} is open in QEMU as node ${n.name}, which is in use but not in the disk's chain`);
  }
  for (const n of formats) await client.execute('blockdev-del', { 'node-name': n.name });
  for (const n of files) {
    const now = (await readBlockGraph(client)).nodes.get(n.name);
    if (!now) continue; // an implicit file node went with its format node
    const parents = now.parents;
    if (parents.length) throw new BackendError(`disk ${vdev}: ${frozen} is open in QEMU as file node ${n.name}, still used by ${parents.join(', ')}`);
    await client.execute('blockdev-del', { 'node-name': n.name });
  }
}

async function merge(client: QmpClient, at: MergePoint, frozen: string, journal: OwnedStepJournal<QdiskOnlineStep>, progress?: Progress): Promise<void> {
  const { disk, graph, f, c, p } = at;
  const cPath = imagePathOf(graph, c);
  const pPath = p ? imagePathOf(graph, p) : null;
  const jobId = `xs-stream-${randomBytes(3).toString('hex')}`;
  const key = stepLabel('qdisk-online.stream', { vdev: disk.vdev });
  const args: Record<string, unknown> = { 'job-id': jobId, device: c.name, 'auto-dismiss': false };
  if (p) Object.assign(args, { 'base-node': p.name, 'backing-file': pPath });
  await journal.intent('qdisk-online.stream', { vdev: disk.vdev, frozen, into: cPath, intoNode: c.name, base: pPath, baseNode: p?.name ?? null, jobId });
  await runJob(client, jobId, () => client.execute('block-stream', args), {
    progress: (done, total) => progress?.({ step: key, done, total }),
  });
  await journal.done('qdisk-online.stream');
  await verifyBacking(cPath, pPath);
  const after = await readBlockGraph(client);
  const now = after.nodes.get(c.name);
  if (!now || now.backing !== (p?.name ?? null)) {
    throw new BackendError(`disk ${disk.vdev}: after the stream node ${c.name} has backing ${now?.backing ?? 'none'}, expected ${p?.name ?? 'none'}`);
  }
  const drop = [f.name, ...(f.file ? [f.file] : [])];
  await journal.intent('qdisk-online.drop-nodes', { vdev: disk.vdev, nodes: drop });
  for (const n of drop) {
    if (after.nodes.has(n) && !isImplicitNode(n)) await client.execute('blockdev-del', { 'node-name': n });
  }
  await journal.done('qdisk-online.drop-nodes');
}
