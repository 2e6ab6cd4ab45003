import { lstat, open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Progress, StepJournal } from '../backend.js';
import { hasNullableStrings, hasStrings, type RawStep } from '../../journal/step-detail.js';

/** Detail of the internal snapshot steps: the tag and the image whose table holds it. */
export interface TagStepDetail {
  vdev: string;
  image: string;
  tag: string;
}

/** Detail of the external create steps (see offline-external-create.ts). */
export interface ExternalCreateDetail {
  vdev: string;
  leaf: string;
  frozen: string;
  temp: string;
  /** Written by creates; recovery does not need them. */
  leafFormat?: string;
  size?: number;
}

/** Detail of the merge steps of an external delete (see offline-external-delete.ts). */
export interface MergeStepDetail {
  vdev: string;
  leaf: string;
  frozen: string;
  child: string;
  parent: string | null;
  parentFormat: string | null;
  backingName: string | null;
  method: string;
}

/** Detail of a cluster-level merge into one child and of re-linking it (graph-delete.ts): the merge's redo log too. */
export interface ClusterMergeDetail extends MergeStepDetail {
  redoLog: string;
}

/** Detail of removing a frozen image that nothing reads through. */
export interface RemoveDetail {
  vdev: string;
  leaf: string;
  frozen: string;
}

type Each<N extends string, D> = N extends string ? { step: N; detail: D } : never;

/**
 * The steps of the offline (qemu-img) operations as they appear in the journal. Create steps
 * are rolled back by recovery; delete steps are rolled forward.
 */
export type QdiskOfflineStep =
  | Each<'qdisk-offline.internal-create' | 'qdisk-offline.internal-delete', TagStepDetail>
  | Each<'qdisk-offline.external-overlay' | 'qdisk-offline.external-link' | 'qdisk-offline.external-switch', ExternalCreateDetail>
  | Each<'qdisk-offline.external-rebase' | 'qdisk-offline.external-unlink' | 'qdisk-offline.external-commit' | 'qdisk-offline.external-replace', MergeStepDetail>
  | Each<'qdisk-offline.cluster-merge' | 'qdisk-offline.relink', ClusterMergeDetail>
  | { step: 'qdisk-offline.remove'; detail: RemoveDetail };

export type OfflineStepName = QdiskOfflineStep['step'];

const TAG_STEPS: readonly string[] = ['qdisk-offline.internal-create', 'qdisk-offline.internal-delete'];
const CREATE_STEPS: readonly string[] = ['qdisk-offline.external-overlay', 'qdisk-offline.external-link', 'qdisk-offline.external-switch'];
const MERGE_STEPS: readonly string[] = ['qdisk-offline.external-rebase', 'qdisk-offline.external-unlink', 'qdisk-offline.external-commit', 'qdisk-offline.external-replace'];

/** True for a well-formed qdisk offline step: a known name and every field its recovery reads. */
export function isQdiskOfflineStep(s: RawStep): s is QdiskOfflineStep {
  const d = s.detail;
  if (TAG_STEPS.includes(s.step)) return hasStrings(d, ['vdev', 'image', 'tag']);
  if (CREATE_STEPS.includes(s.step)) return hasStrings(d, ['vdev', 'leaf', 'frozen', 'temp']);
  const merge = () => hasStrings(d, ['vdev', 'leaf', 'frozen', 'child', 'method']) && hasNullableStrings(d, ['parent', 'parentFormat', 'backingName']);
  if (MERGE_STEPS.includes(s.step)) return merge();
  if (s.step === 'qdisk-offline.cluster-merge' || s.step === 'qdisk-offline.relink') return merge() && hasStrings(d, ['redoLog']);
  if (s.step === 'qdisk-offline.remove') return hasStrings(d, ['vdev', 'leaf', 'frozen']);
  return false;
}

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
