import { rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BackendError } from '../../errors.js';
import { fsyncDir } from '../../util/atomic-file.js';
import * as img from './qemu-img.js';
import { copyOwnership } from './offline-external-create.js';
import type { DiskMergePlan } from './offline-merge-plan.js';
import { fsyncFile, type OfflineStep } from './offline-steps.js';

/** The journal detail of a merge step: everything recovery needs to finish it. */
export function mergeDetail(p: DiskMergePlan): Record<string, string | null> {
  return {
    vdev: p.vdev, leaf: p.leaf, frozen: p.frozen, child: p.child, parent: p.parent,
    parentFormat: p.parentFormat, backingName: p.backingName, method: p.method,
  };
}

/** What C's header names as backing, resolved (null: no backing). */
export async function backingOf(file: string): Promise<string | null> {
  const i = await img.info(file, { format: 'qcow2' });
  return i.backingPath === null ? null : resolve(dirname(file), i.backingPath);
}

/** Throws unless `file` now reads through `expected` (null: through nothing). */
export async function expectBacking(file: string, expected: string | null): Promise<void> {
  const actual = await backingOf(file);
  if (actual !== expected) {
    throw new BackendError(`${file} reads through ${actual ?? 'nothing'}, expected ${expected ?? 'no backing file'}; the chain was left as it is`);
  }
}

/*
 * Stream (F into C, then drop F). Crash order:
 *  (1) rebase: safe `qemu-img rebase` first copies into C the clusters where F∘P differs from P
 *      and C has nothing — each such copy equals what C already showed, so C's content never
 *      changes — and rewrites C's backing name to P last. Crash: C still names F (re-run the
 *      rebase) or names P (go on). F is untouched throughout.
 *  (2) unlink: only after C's header is checked to name P; then F goes. Crash: F present or not.
 * Commit (C into F, then F takes C's place):
 *  (1) commit: `qemu-img commit -d C` writes C's clusters into F. C∘F does not change (C shadows
 *      every cluster written), only F's own content (the snapshot being deleted) changes, so from
 *      here the delete can only go forward. Crash: re-run the commit (idempotent).
 *  (2) replace: F gets C's mode/owner, fsync, rename(F, C) — one atomic switch; the path C now
 *      holds the merged image whose backing is P. Crash: F still there (redo the commit, since the
 *      domain may have written C meanwhile, then rename) or gone (done).
 */
export function mergeSteps(p: DiskMergePlan): OfflineStep[] {
  const detail = mergeDetail(p);
  if (p.method === 'stream') {
    return [
      {
        name: 'qdisk-offline.external-rebase',
        detail,
        run: () => img.rebase(p.child, { format: 'qcow2', backing: p.backingName, backingFormat: p.parentFormat ?? undefined }),
      },
      {
        name: 'qdisk-offline.external-unlink',
        detail,
        run: async () => {
          await expectBacking(p.child, p.parent);
          await unlink(p.frozen);
          await fsyncDir(dirname(p.frozen));
        },
      },
    ];
  }
  return [
    { name: 'qdisk-offline.external-commit', detail, run: () => img.commit(p.child, { format: 'qcow2', keepTop: true }) },
    { name: 'qdisk-offline.external-replace', detail, run: () => replaceChild(p.frozen, p.child, p.parent) },
  ];
}

/** Puts the committed F at C's path, after checking F reads through P. */
export async function replaceChild(frozen: string, child: string, parent: string | null): Promise<void> {
  await expectBacking(frozen, parent);
  await copyOwnership(child, frozen);
  await fsyncFile(frozen);
  await rename(frozen, child);
  await fsyncDir(dirname(child));
}
