import { rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { fsyncDir } from '../../util/atomic-file.js';
import { imagePathOf, isImplicitNode, readBlockGraph, type BlockNode } from './node-graph.js';
import { swapFileNode } from './online-file-swap.js';
import type { NodeSettings } from './node-settings.js';
import { pathExists } from '../../util/path-exists.js';
export { pathExists } from '../../util/path-exists.js';

/** One disk of an online external create in progress; `reached` names the steps that were started. */
export interface DiskWork {
  vdev: string;
  backend: import('../../model/domain.js').DiskBackend;
  leaf: string;
  frozen: string;
  newPath: string;
  top: BlockNode;
  origFile: string;
  /** The guest's disk settings, for every node added (node-settings.ts). */
  settings: NodeSettings;
  names: { tmp: string; frozenFile: string; overlayFile: string; overlay: string; undoTmp: string };
  reached: Set<string>;
}


async function sameInode(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/**
 * Undoes a create that did not reach its transaction, reading the live graph rather than trusting
 * how far each step got. Returns the problems it could not fix (empty: nothing left behind).
 */
export async function undoDisk(client: QmpClient, w: DiskWork): Promise<string[]> {
  if (client.isClosed) {
    // Without QMP we cannot move QEMU's nodes, and renaming files under a QEMU that may still run
    // is the hazard LIVE-EXTERNAL describes. Every state between the steps restarts safely from the
    // leaf path, so leave the files to journal-driven recovery.
    const steps = [...w.reached].join(', ') || 'none';
    return [`${w.vdev}: QMP connection lost, nothing undone (steps started: ${steps}); recovery must finish from the journal`];
  }
  try {
    return await undoWithQmp(client, w);
  } catch (err) {
    return [`${w.vdev}: undo stopped: ${(err as Error).message}`];
  }
}

async function undoWithQmp(client: QmpClient, w: DiskWork): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${w.vdev}: ${what}: ${(err as Error).message}`);
    }
  };
  const live = async () => (await readBlockGraph(client)).nodes;
  if (w.reached.has('add-overlay-nodes')) {
    for (const n of [w.names.overlay, w.names.overlayFile]) {
      if ((await live()).has(n)) await attempt(`blockdev-del ${n}`, () => client.execute('blockdev-del', { 'node-name': n }));
    }
  }
  if (w.reached.has('rename-overlay') && (await pathExists(w.frozen)) && !(await sameInode(w.frozen, w.leaf))) {
    // The leaf path holds the new overlay: put the live image back atomically (the overlay loses its last name).
    await attempt(`rename ${w.frozen} back to ${w.leaf}`, async () => {
      await rename(w.frozen, w.leaf);
      await fsyncDir(dirname(w.leaf));
    });
  }
  if (w.reached.has('swap-file-node')) {
    const nodes = await live();
    const top = nodes.get(w.top.name);
    if (top && imagePathOf({ nodes }, top) !== w.leaf) {
      await attempt(`move node ${w.top.name} back onto ${w.leaf}`, () =>
        // xen-block's file node had a name QEMU chose, which cannot be given again: ours then
        swapFileNode(client, top, w.leaf, { tmp: w.names.undoTmp, newFile: isImplicitNode(w.origFile) ? `${w.names.undoTmp}-orig` : w.origFile }, w.settings),
      );
    }
    const after = await live();
    for (const n of [w.names.tmp, w.names.frozenFile, w.names.undoTmp]) {
      const node = after.get(n);
      if (node && node.parents.length === 0) await attempt(`blockdev-del ${n}`, () => client.execute('blockdev-del', { 'node-name': n }));
    }
  }
  if (w.reached.has('link-frozen') && (await sameInode(w.frozen, w.leaf))) {
    await attempt(`unlink ${w.frozen}`, async () => {
      await unlink(w.frozen);
      await fsyncDir(dirname(w.leaf));
    });
  }
  if (w.reached.has('create-overlay') && (await pathExists(w.newPath))) {
    await attempt(`unlink ${w.newPath}`, () => unlink(w.newPath));
  }
  return problems;
}
