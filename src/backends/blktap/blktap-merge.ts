import { realpath, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../../errors.js';
import { readVhdChain } from '../../formats/vhd/vhd-chain.js';
import { streamVhdSectors } from '../../formats/vhd/vhd-coalesce.js';
import { relinkVhd } from '../../formats/vhd/vhd-relink.js';
import { fsyncDir } from '../../util/atomic-file.js';
import type { OwnedStepJournal, Progress } from '../backend.js';
import { stepLabel } from '../../journal/step-names.js';
import type { BlktapStep } from './blktap-steps.js';

/** One disk's removal plan: F leaves the chain P ← F ← C (P null when F is the root). */
export interface RemovalPlan {
  vdev: string;
  leaf: string;
  frozen: string;
  child: string;
  parent: string | null;
  /** Bytes F holds (allocated blocks × block size): the most the stream copies. */
  bytesToCopy: number;
  chainDepthAfter: number;
}

/** Finds F in the chain of leaf L, read-only. F must be a proper ancestor of L. */
export async function planRemoval(vdev: string, leaf: string, frozen: string): Promise<RemovalPlan> {
  const chain = await readVhdChain(leaf);
  const want = await realpath(frozen).catch(() => {
    throw new BackendError(`frozen image ${frozen} of ${vdev} does not exist`);
  });
  const reals = await Promise.all(chain.map((m) => realpath(m.path)));
  const i = reals.indexOf(want);
  if (i < 0) throw new BackendError(`frozen image ${frozen} is not in the chain of ${leaf}`);
  if (i === 0) throw new BackendError(`${frozen} is the leaf of ${vdev}, not a snapshot`);
  const f = chain[i]!.layout.info;
  return {
    vdev,
    leaf,
    frozen: chain[i]!.path,
    child: chain[i - 1]!.path,
    parent: chain[i + 1]?.path ?? null,
    bytesToCopy: f.allocatedBlocks * f.blockSize,
    chainDepthAfter: chain.length - 1,
  };
}

/**
 * Removes F without changing any other image's content: stream F's sectors that C does not
 * override into C (C reads the same throughout), re-link C to P (or make it a root), unlink F.
 * A crash in any step leaves every image's content intact; re-running the remaining steps
 * from the journal finishes the job (the stream is idempotent).
 */
export async function removeFrozen(p: RemovalPlan, journal: OwnedStepJournal<BlktapStep>, progress?: Progress): Promise<void> {
  const detail = { vdev: p.vdev, leaf: p.leaf, frozen: p.frozen, child: p.child, parent: p.parent };
  const label = stepLabel('blktap.stream', detail);
  await journal.intent('blktap.stream', detail);
  await streamVhdSectors(p.frozen, p.child, (done, total) => progress?.({ step: label, done, total }));
  await journal.done('blktap.stream');
  await journal.intent('blktap.relink', detail);
  await relinkVhd(p.child, p.parent);
  await journal.done('blktap.relink');
  await journal.intent('blktap.remove-frozen', detail);
  await unlink(p.frozen);
  await fsyncDir(dirname(p.frozen));
  await journal.done('blktap.remove-frozen');
}
