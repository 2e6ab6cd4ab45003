import { unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk, Domain } from '../../model/domain.js';
import { nativeImageReader } from '../../observe/native-image-reader.js';
import { decideDiskDelete } from '../../plan/graph/decide-disk-delete.js';
import { stepProblem } from '../../plan/graph/step-problem.js';
import type { CommitStep, DiskDeleteStep, StreamStep } from '../../plan/plan-types.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { fsyncDir } from '../../util/atomic-file.js';
import { mergeParentIntoChild, recoverParentMerge } from '../../formats/qcow2/qcow2-merge.js';
import type { DeleteRequest, Progress, StepJournal } from '../backend.js';
import { localDiskGraph } from '../local-disk-graph.js';
import { carryingPlan, stepImages } from '../planned-steps.js';
import { diskOf } from './offline-guard.js';
import { replaceChild } from './offline-external-delete.js';
import { readHeaderShared } from './online-image-info.js';
import { dropDanglingNodes, openInQemu, streamIntoLiveChild } from './online-external-delete.js';
import { chainOf, findTop, readBlockGraph } from './node-graph.js';
import * as img from './qemu-img.js';
import { pathExistsStrict } from '../../util/path-exists.js';

/** Where a delete runs: a shut-off domain (files only) or a running one (`client`: its QMP session). */
export interface QdiskDeleteEnv {
  domain: Domain;
  client: QmpClient | null;
  journal: StepJournal;
  progress?: Progress;
}

/** The redo log of a cluster-level merge into `child`: hidden, beside it (scans skip hidden files). */
export function mergeRedoLog(child: string): string {
  return join(dirname(child), `.${basename(child)}.xensnap-merge-redo`);
}

/**
 * The steps of a delete, one per disk still holding the snapshot, each checked on the disk's graph
 * as it is now: a planned step must still be safe (stepProblem), a disk without one is decided
 * here the way the planner decides. Every disk is checked before any changes; a refusal changes
 * nothing.
 */
export async function resolveQdiskSteps(req: DeleteRequest): Promise<{ disk: Disk; step: DiskDeleteStep }[]> {
  const out: { disk: Disk; step: DiskDeleteStep }[] = [];
  for (const rec of req.disks) {
    const disk = diskOf(req.domain, rec.vdev);
    const planned = req.steps?.find((s) => s.vdev === rec.vdev);
    const named = [...(rec.frozenPath ? [rec.frozenPath] : []), ...(planned ? stepImages(planned) : [])];
    const g = await localDiskGraph(req.domain, disk, [...new Set(named.map((p) => dirname(p)))], named);
    if (planned) {
      const why = stepProblem(g, planned);
      if (why) throw new BackendError(`disk ${rec.vdev}: the planned ${planned.method} of ${planned.image} cannot run: ${why}; nothing was changed (plan again)`);
      out.push({ disk, step: planned });
      continue;
    }
    const v = decideDiskDelete(g, rec, req.type, req.snapshot, { backend: 'qdisk', unreadableDirs: new Set() });
    if ('blocked' in v) throw new BackendError(`cannot delete snapshot "${req.snapshot}" from disk ${rec.vdev}: ${v.blocked}; nothing was changed`);
    if ('step' in v) out.push({ disk, step: v.step });
  }
  return out;
}

/**
 * Deletes a snapshot from a qdisk domain's disks, each by its graph step, journaled: a tag is
 * dropped (QMP in a running domain's active image, qemu-img where no QEMU has the image open); a
 * frozen image nothing reads is unlinked; one with readers is streamed into each of them — a
 * running domain's live child through a QMP job, last; the others with qemu-img rebase, or the
 * native cluster-level merge when they hold internal snapshots — re-linked to F's parent, and
 * unlinked only once every reader is verified to read through that parent; a tagged F takes its
 * only child's place by commit (offline). Every part is idempotent, so recovery runs it again.
 */
export async function deleteQdiskSnapshot(req: DeleteRequest, env: QdiskDeleteEnv): Promise<void> {
  const work = await resolveQdiskSteps(req);
  let n = 0;
  for (const { disk, step } of work) {
    await runStep(disk, step, env);
    env.progress?.({ step: `delete:${disk.vdev}`, done: ++n, total: work.length });
  }
}

async function runStep(disk: Disk, step: DiskDeleteStep, outer: QdiskDeleteEnv): Promise<void> {
  const env = { ...outer, journal: carryingPlan(outer.journal, step) };
  switch (step.method) {
    case 'delete-tag':
      return deleteTag(disk, step.image, step.tag, env);
    case 'remove':
      await assertClosed(env, step.image);
      return unlinkFrozen(disk, step, [], env);
    case 'stream':
      return stream(disk, step, env);
    case 'commit':
      return commit(disk, step, env);
  }
}

async function assertClosed(env: QdiskDeleteEnv, path: string): Promise<void> {
  if (env.client && (await openInQemu(env.client, path))) {
    throw new BackendError(`${path} is open in the running QEMU of ${env.domain.name}; qemu-img must not change it`);
  }
}

async function deleteTag(disk: Disk, image: string, tag: string, env: QdiskDeleteEnv): Promise<void> {
  const key = 'qdisk-online.delete-internal';
  if (env.client && (await openInQemu(env.client, image))) {
    const graph = await readBlockGraph(env.client);
    const top = findTop(graph, disk.path, disk.vdev);
    const holder = chainOf(graph, top).find((n) => n.snapshots.includes(tag));
    if (!holder) return;
    if (holder !== top) throw new BackendError(`disk ${disk.vdev}: internal snapshot "${tag}" lives below the active image; QEMU deletes internal snapshots only in the active image of a running domain`);
    await env.journal.intent(key, { vdev: disk.vdev, node: top.name, path: image, tag });
    await env.client.execute('blockdev-snapshot-delete-internal-sync', { device: top.name, name: tag });
    await env.journal.done(key);
    return;
  }
  const n = (await img.info(image, { format: 'qcow2' })).snapshots.filter((s) => s.name === tag).length;
  if (n === 0) return;
  await env.journal.intent('qdisk-offline.internal-delete', { vdev: disk.vdev, image, tag });
  await img.snapshotDelete(image, tag);
  await env.journal.done('qdisk-offline.internal-delete');
}

/** The backing file name a child of F gets: P's name as F stores it when they share a directory, else P's path. */
async function backingNameFor(frozen: string, child: string, parent: string | null): Promise<string | null> {
  if (parent === null) return null;
  if (dirname(frozen) !== dirname(child)) return parent;
  const stored = (await readHeaderShared(frozen)).backingFile;
  if (stored === null || stored.startsWith('json:')) return parent;
  return resolve(dirname(frozen), stored) === parent ? stored : parent;
}


async function backingOf(path: string): Promise<string | null> {
  return (await nativeImageReader.read(path, 'qcow2')).backing;
}

function mergeDetail(disk: Disk, step: StreamStep | CommitStep, child: string, backingName: string | null): Record<string, unknown> {
  const parentFormat = step.method === 'stream' ? step.parentFormat : null;
  return { vdev: disk.vdev, leaf: disk.path, frozen: step.image, child, parent: step.parent, parentFormat, backingName, method: step.method };
}

async function stream(disk: Disk, step: StreamStep, env: QdiskDeleteEnv): Promise<void> {
  const { journal } = env;
  const f = step.image;
  const open = env.client ? await Promise.all(step.children.map((c) => openInQemu(env.client!, c.path))) : step.children.map(() => false);
  // children no QEMU has open first; the running domain's own chain last, through QMP
  const order = step.children.map((c, i) => ({ path: c.path, live: open[i]! })).sort((a, b) => Number(a.live) - Number(b.live));
  for (const c of order) {
    const b = await backingOf(c.path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (b === undefined || b === step.parent) continue; // gone, or already re-linked by an earlier run
    if (b !== f) throw new BackendError(`${c.path} reads through ${b ?? 'nothing'}, not ${f}; nothing more was changed`);
    if (c.live) {
      await streamIntoLiveChild(env.client!, disk, f, journal, env.progress);
    } else {
      const name = await backingNameFor(f, c.path, step.parent);
      const tags = (await nativeImageReader.read(c.path, 'qcow2')).internal.length;
      if (tags) await clusterMerge(disk, step, c.path, name, env);
      else {
        await journal.intent('qdisk-offline.external-rebase', mergeDetail(disk, step, c.path, name));
        await img.rebase(c.path, { format: 'qcow2', backing: name, backingFormat: step.parentFormat ?? undefined });
        await journal.done('qdisk-offline.external-rebase');
      }
    }
  }
  await unlinkFrozen(disk, step, step.children.map((c) => c.path), env);
}

/** F's data into every table of a child that holds internal snapshots, then the child re-linked to P. */
async function clusterMerge(disk: Disk, step: StreamStep, child: string, backingName: string | null, env: QdiskDeleteEnv): Promise<void> {
  const redoLog = mergeRedoLog(child);
  const detail = { ...mergeDetail(disk, step, child, backingName), redoLog };
  await env.journal.intent('qdisk-offline.cluster-merge', detail);
  await recoverParentMerge(child, redoLog); // a torn batch of an interrupted run, if any
  await mergeParentIntoChild(step.image, child, { redoLog, progress: (d, t) => env.progress?.({ step: `qdisk-offline.cluster-merge:${disk.vdev}`, done: d, total: t }) });
  await env.journal.done('qdisk-offline.cluster-merge');
  await env.journal.intent('qdisk-offline.relink', detail);
  await img.rebase(child, { format: 'qcow2', backing: backingName, backingFormat: step.parentFormat ?? undefined, unsafe: true });
  await env.journal.done('qdisk-offline.relink');
}

/** Unlinks F once every child named reads through F's parent and nothing else reads through F. */
async function unlinkFrozen(disk: Disk, step: DiskDeleteStep, children: string[], env: QdiskDeleteEnv): Promise<void> {
  const f = step.image;
  if (!(await pathExistsStrict(f))) return;
  const parent = step.method === 'stream' || step.method === 'commit' ? step.parent : null;
  for (const c of children) {
    const b = await backingOf(c).catch(() => undefined);
    if (b !== undefined && b !== parent) throw new BackendError(`${c} still reads through ${b ?? 'nothing'}, not ${parent ?? 'no backing file'}; ${f} is kept`);
  }
  const g = await localDiskGraph(env.domain, disk, [dirname(f)], [f]);
  const readers = g.children(f);
  if (readers.length) throw new BackendError(`${readers.map((r) => r.path).join(', ')} read${readers.length > 1 ? '' : 's'} through ${f}; it is kept`);
  if (env.client) {
    // nodes an interrupted run left open after the stream (nothing uses them), then none at all
    await dropDanglingNodes(env.client, disk.vdev, f);
    if (await openInQemu(env.client, f)) throw new BackendError(`${f} is still open in the running QEMU; it is kept`);
  }
  const detail = step.method === 'stream' ? mergeDetail(disk, step, children[0] ?? f, null) : { vdev: disk.vdev, leaf: disk.path, frozen: f };
  const name = env.client ? 'qdisk-online.unlink-frozen' : step.method === 'remove' ? 'qdisk-offline.remove' : 'qdisk-offline.external-unlink';
  await env.journal.intent(name, detail);
  await unlink(f);
  await fsyncDir(dirname(f));
  await env.journal.done(name);
}

async function commit(disk: Disk, step: CommitStep, env: QdiskDeleteEnv): Promise<void> {
  if (env.client) throw new BackendError(`disk ${disk.vdev}: committing ${step.child} into ${step.image} runs only while the domain is shut off`);
  if (!(await pathExistsStrict(step.image))) return; // committed and put in the child's place by an earlier run
  const name = await backingNameFor(step.image, step.child, step.parent);
  const detail = mergeDetail(disk, step, step.child, name);
  {
    await env.journal.intent('qdisk-offline.external-commit', detail);
    await img.commit(step.child, { format: 'qcow2', keepTop: true });
    await env.journal.done('qdisk-offline.external-commit');
    await env.journal.intent('qdisk-offline.external-replace', detail);
    await replaceChild(step.image, step.child, step.parent);
    await env.journal.done('qdisk-offline.external-replace');
  }
}
