import { randomBytes } from 'node:crypto';
import { chmod, chown, link, lstat, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { run } from '../../util/exec.js';
import { fsyncDir } from '../../util/atomic-file.js';
import { frozenImagePath, type OwnedStepJournal, type Progress } from '../backend.js';
import { stepLabel } from '../../journal/step-names.js';
import type { OnlineCreateDetail, OnlineCreateStepName, QdiskOnlineStep } from './online-steps.js';
import { findTop, readBlockGraph, type BlockNode } from './node-graph.js';
import { pathExists, undoDisk, type DiskWork } from './online-external-undo.js';
import { swapFileNode } from './online-file-swap.js';
import { guestNodeSettings, type FileLocking } from './node-settings.js';
import { verifyBacking } from './online-image-info.js';

/** Options of the online operations; the hooks exist so tests can inject real QEMU-side faults. */
export interface OnlineOptions {
  locking?: FileLocking;
  /** Runs after each named step is journaled done, with its label (tests inject failures and crashes here). */
  afterStep?: (step: string) => Promise<void>;
  /** Runs after every disk is prepared, right before the transaction. */
  beforeTransaction?: () => Promise<void>;
  /** Told how long the `transaction` (the guest-visible pause) took, in ms. */
  onTransaction?: (ms: number) => void;
}

/** The temporary name of a new overlay before it takes the leaf path. */
export function newOverlayPath(leaf: string): string {
  return `${leaf}.xensnap-new`;
}

/**
 * External disk-only snapshot of a running or paused domain, keeping every leaf path stable
 * (LIVE-EXTERNAL steps 1–6): per disk, create the overlay file, hard-link the live image under its
 * frozen name, move the live node onto that name, rename the overlay onto the leaf path, add its
 * nodes; then ONE `transaction` of `blockdev-snapshot` over all disks. Any failure before the
 * transaction commits undoes every disk, leaving no file and no node behind.
 */
export async function createExternalOnline(
  client: QmpClient,
  disks: Disk[],
  snapshot: string,
  journal: OwnedStepJournal<QdiskOnlineStep>,
  progress?: Progress,
  opts: OnlineOptions = {},
): Promise<SnapshotDiskRecord[]> {
  const locking = opts.locking ?? 'auto';
  const graph = await readBlockGraph(client);
  const work: DiskWork[] = [];
  for (const disk of disks) {
    const top = findTop(graph, disk.path, disk.vdev);
    if (top.drv !== 'qcow2' && top.drv !== 'raw') throw new BackendError(`disk ${disk.vdev}: cannot snapshot a ${top.drv} node externally`);
    if (!top.file) throw new BackendError(`disk ${disk.vdev}: node ${top.name} has no file child`);
    const st = await lstat(disk.path).catch(() => null);
    if (!st?.isFile()) throw new BackendError(`disk ${disk.vdev}: ${disk.path} is not a regular file (a symbolic link or a device cannot take the stable-path switch)`);
    // Another name of the live inode would silently become a second name of the frozen image.
    if (st.nlink !== 1) throw new BackendError(`disk ${disk.vdev}: ${disk.path} has ${st.nlink} hard links; refusing to freeze it`);
    const frozen = frozenImagePath(disk.path, snapshot);
    const newPath = newOverlayPath(disk.path);
    if (await pathExists(frozen)) throw new BackendError(`disk ${disk.vdev}: frozen image ${frozen} already exists`);
    if (await pathExists(newPath)) throw new BackendError(`disk ${disk.vdev}: ${newPath} exists (left by an interrupted create; recovery must remove it)`);
    const id = randomBytes(3).toString('hex');
    work.push({
      vdev: disk.vdev, backend: disk.backend, leaf: disk.path, frozen, newPath, top, origFile: top.file, settings: guestNodeSettings(graph, top, locking, disk),
      names: { tmp: `xs${id}-tmp`, frozenFile: `xs${id}-frz`, overlayFile: `xs${id}-ovf`, overlay: `xs${id}-ov`, undoTmp: `xs${id}-utmp` },
      reached: new Set(),
    });
  }
  const total = work.length * 5 + 1;
  let count = 0;
  const step = async (w: DiskWork, name: OnlineCreateStepName, detail: Partial<OnlineCreateDetail>, fn: () => Promise<void>) => {
    const name_ = `qdisk-online.${name}` as const;
    const key = stepLabel(name_, { vdev: w.vdev });
    await journal.intent(name_, { vdev: w.vdev, leaf: w.leaf, frozen: w.frozen, newPath: w.newPath, topNode: w.top.name, ...detail });
    w.reached.add(name);
    await fn();
    await journal.done(name_);
    progress?.({ step: key, done: ++count, total });
    await opts.afterStep?.(key);
  };
  try {
    for (const w of work) await prepareDisk(client, w, step);
    await opts.beforeTransaction?.();
    const actions = work.map((w) => ({ type: 'blockdev-snapshot', data: { node: w.top.name, overlay: w.names.overlay } }));
    await journal.intent('qdisk-online.transaction', { snapshot, disks: work.map((w) => ({ vdev: w.vdev, node: w.top.name, overlay: w.names.overlay })) });
    const t0 = performance.now();
    await client.execute('transaction', { actions });
    opts.onTransaction?.(performance.now() - t0);
    await journal.done('qdisk-online.transaction');
    progress?.({ step: 'qdisk-online.transaction', done: ++count, total });
  } catch (err) {
    const problems: string[] = [];
    for (const w of [...work].reverse()) problems.push(...(await undoDisk(client, w)));
    if (problems.length) (err as Error).message += `; undo left problems: ${problems.join('; ')}`;
    throw err;
  }
  await verifyCreated(client, work);
  return work.map((w) => ({ vdev: w.vdev, format: w.top.drv, backend: w.backend, frozenPath: w.frozen }));
}

type StepFn = (w: DiskWork, name: OnlineCreateStepName, detail: Partial<OnlineCreateDetail>, fn: () => Promise<void>) => Promise<void>;

async function prepareDisk(client: QmpClient, w: DiskWork, step: StepFn): Promise<void> {
  await step(w, 'create-overlay', {}, async () => {
    const args = ['create', '-q', '-f', 'qcow2', '-F', w.top.drv, '-b', w.frozen, '-u', w.newPath, String(w.top.virtualSize)];
    await run('qemu-img', args, { timeoutMs: 60_000 });
    // The device model (often another user under Xen) must open the overlay like it opened the leaf.
    const st = await stat(w.leaf);
    await chmod(w.newPath, st.mode & 0o7777);
    if (process.getuid?.() === 0) await chown(w.newPath, st.uid, st.gid);
    const fh = await open(w.newPath, 'r+');
    try {
      await fh.sync(); // the rename below must never publish an overlay that is not on disk yet
    } finally {
      await fh.close();
    }
  });
  await step(w, 'link-frozen', {}, async () => {
    await link(w.leaf, w.frozen);
    await fsyncDir(dirname(w.leaf));
  });
  await step(w, 'swap-file-node', { oldFileNode: w.origFile, newFileNode: w.names.frozenFile, tmpNode: w.names.tmp }, () =>
    swapFileNode(client, w.top, w.frozen, { tmp: w.names.tmp, newFile: w.names.frozenFile }, w.settings),
  );
  await step(w, 'rename-overlay', {}, async () => {
    await rename(w.newPath, w.leaf);
    await fsyncDir(dirname(w.leaf));
  });
  await step(w, 'add-overlay-nodes', { overlayNode: w.names.overlay, overlayFileNode: w.names.overlayFile }, async () => {
    await client.execute('blockdev-add', { driver: 'file', 'node-name': w.names.overlayFile, filename: w.leaf, ...w.settings.file });
    await client.execute('blockdev-add', { driver: 'qcow2', 'node-name': w.names.overlay, file: w.names.overlayFile, backing: null, ...w.settings.format });
  });
}

async function verifyCreated(client: QmpClient, work: DiskWork[]): Promise<void> {
  const graph = await readBlockGraph(client);
  for (const w of work) {
    const top: BlockNode = findTop(graph, w.leaf, w.vdev);
    if (top.name !== w.names.overlay || top.backing !== w.top.name) {
      throw new BackendError(`disk ${w.vdev}: after the transaction the active node is ${top.name} on ${top.backing ?? 'no backing'}, expected ${w.names.overlay} on ${w.top.name}`);
    }
    await verifyBacking(w.leaf, w.frozen);
  }
}
