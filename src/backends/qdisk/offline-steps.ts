import { lstat, open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Progress, StepJournal } from '../backend.js';

/**
 * The named steps of the offline (qemu-img) operations, as they appear in the journal.
 * Create steps are rolled back by recovery; delete steps are rolled forward.
 */
export type OfflineStepName =
  | 'qdisk-offline-internal-create'
  | 'qdisk-offline-internal-delete'
  | 'qdisk-offline-external-overlay'
  | 'qdisk-offline-external-link'
  | 'qdisk-offline-external-switch'
  | 'qdisk-offline-external-rebase'
  | 'qdisk-offline-external-unlink'
  | 'qdisk-offline-external-commit'
  | 'qdisk-offline-external-replace';

/**
 * One step of an offline operation: `detail` is exactly what is written to the journal before
 * `run` starts and is all that recovery gets; every path in it is absolute.
 */
export interface OfflineStep {
  name: OfflineStepName;
  detail: Record<string, string | number | null>;
  run(): Promise<void>;
}

/**
 * Runs steps in order with write-ahead journaling: `intent` (awaited, durable) before each
 * step, `done` after it. Returns how many steps ran fully; the error of a failed step (or of the
 * journal) propagates with `started` = the steps whose intent was recorded.
 */
export async function runSteps(steps: OfflineStep[], journal: StepJournal, progress?: Progress, started: OfflineStep[] = []): Promise<void> {
  let n = 0;
  for (const step of steps) {
    await journal.intent(step.name, step.detail);
    started.push(step);
    await step.run();
    await journal.done(step.name);
    progress?.({ step: step.name, done: ++n, total: steps.length });
  }
}

/** lstat that answers null for a missing path. */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Flushes a file's data to disk (qemu-img does not fsync what it creates). */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True when both stats name the same inode. */
export function sameInode(a: Stats | null, b: Stats | null): boolean {
  return !!a && !!b && a.ino === b.ino && a.dev === b.dev;
}
