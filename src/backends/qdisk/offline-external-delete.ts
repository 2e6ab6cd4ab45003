import { rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BackendError } from '../../errors.js';
import { fsyncDir } from '../../util/atomic-file.js';
import * as img from './qemu-img.js';
import { copyOwnership } from './offline-external-create.js';
import { fsyncFile, type OfflineStep } from './offline-steps.js';

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

/** Puts the committed F at C's path, after checking F reads through P. */
export async function replaceChild(frozen: string, child: string, parent: string | null): Promise<void> {
  await expectBacking(frozen, parent);
  await copyOwnership(child, frozen);
  await fsyncFile(frozen);
  await rename(frozen, child);
  await fsyncDir(dirname(child));
}
