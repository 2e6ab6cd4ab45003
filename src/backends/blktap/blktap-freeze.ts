import { link, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createDifferencingVhd } from '../../formats/vhd/vhd-create.js';
import { fsyncDir } from '../../util/atomic-file.js';
import type { OwnedStepJournal } from '../backend.js';
import type { BlktapStep } from './blktap-steps.js';

/** What one disk's freeze did so far, for rollback. */
export interface FreezeState {
  vdev: string;
  leaf: string;
  frozen: string;
  tmp: string;
  linked: boolean;
  childCreated: boolean;
  swapped: boolean;
}

export function newChildPath(leaf: string): string {
  return `${leaf}.xensnap-new`;
}

/**
 * Freezes leaf L as F and puts a new empty child of F at L. Crash points, in order:
 * 1. `link(L, F)`: F and L are one inode; recovery unlinks F (L was never changed).
 * 2. child created at L.xensnap-new with parent locators naming `./F` (F must exist for its UUID);
 *    recovery unlinks the child and F.
 * 3. `rename(L.xensnap-new, L)` + directory fsync: atomic; before it L is the old leaf, after it
 *    L is the child and the old leaf lives on only as F. Nothing else ever writes to F.
 */
export async function freezeLeaf(s: FreezeState, journal: OwnedStepJournal<BlktapStep>): Promise<void> {
  const dir = dirname(s.leaf);
  const detail = { vdev: s.vdev, leaf: s.leaf, frozen: s.frozen, child: s.tmp };
  await journal.intent('blktap.link-frozen', detail);
  await link(s.leaf, s.frozen);
  s.linked = true;
  await fsyncDir(dir);
  await journal.done('blktap.link-frozen');
  await journal.intent('blktap.create-child', detail);
  await createDifferencingVhd(s.tmp, s.frozen);
  s.childCreated = true;
  await journal.done('blktap.create-child');
  await journal.intent('blktap.swap-leaf', detail);
  await rename(s.tmp, s.leaf);
  s.swapped = true;
  s.childCreated = false;
  await fsyncDir(dir);
  await journal.done('blktap.swap-leaf');
}

/**
 * Undoes whatever freezeLeaf did. After the swap: rename F back over L (the new child was never
 * written: the domain is paused or shut off). Before: drop the child and the extra link.
 */
export async function unfreezeLeaf(s: FreezeState, journal: OwnedStepJournal<BlktapStep>): Promise<void> {
  await journal.intent('blktap.rollback', { vdev: s.vdev, leaf: s.leaf, frozen: s.frozen, child: s.tmp, swapped: s.swapped });
  if (s.swapped) {
    await rename(s.frozen, s.leaf);
  } else {
    if (s.childCreated) await unlink(s.tmp);
    if (s.linked && (await sameFile(s.leaf, s.frozen))) await unlink(s.frozen);
  }
  await fsyncDir(dirname(s.leaf));
  await journal.done('blktap.rollback');
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a), stat(b)]);
  return x.ino === y.ino && x.dev === y.dev;
}
