import { access, realpath, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../../errors.js';
import { readVhdChain } from '../../formats/vhd/vhd-chain.js';
import { streamVhdSectors } from '../../formats/vhd/vhd-coalesce.js';
import { relinkVhd } from '../../formats/vhd/vhd-relink.js';
import { fsyncDir } from '../../util/atomic-file.js';
import { noJournal, type RecoveryReport, type RecoveryRequest, type RecoveryStep } from '../backend.js';
import { plannedStepsOf, recordsOfSteps } from '../planned-steps.js';
import { resolveBlktapSteps, runBlktapSteps } from './blktap-graph-delete.js';
import { isBlktapStep, type BlktapStep } from './blktap-steps.js';
import { isPaused, type TapCtl, type Tapdisk } from './tap-ctl.js';
import { findTapdisks } from './tap-pause.js';

type Outcome = 'rolled-back' | 'finished' | 'kept' | 'nothing-to-do';

/** One disk's part of an interrupted operation: the details of its steps, merged. */
interface DiskOp {
  vdev: string;
  leaf: string;
  frozen: string;
  child: string;
  parent: string | null;
  /** The journal reached create-child: a file at `child` may be ours (before that it never is). */
  childStarted: boolean;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Groups the journal's steps by disk (`detail.vdev`), keeping the paths their details name. */
function disksOf(steps: RecoveryStep[]): DiskOp[] {
  const out = new Map<string, DiskOp>();
  for (const raw of steps) {
    if (!isBlktapStep(raw)) throw new BackendError(`journal step ${raw.step} is not a well-formed blktap step`);
    const s: BlktapStep = raw;
    const d = s.detail;
    const prev = out.get(d.vdev);
    const parent = 'parent' in d ? d.parent : (prev?.parent ?? null);
    const childStarted = (prev?.childStarted ?? false) || s.step === 'blktap.create-child';
    out.set(d.vdev, { vdev: d.vdev, leaf: d.leaf, frozen: d.frozen, child: d.child, parent, childStarted });
  }
  return [...out.values()];
}

/** A tapdisk left paused by the crash: its TD_VBD_PAUSED bit (other bits, e.g. closed, are not a pause). */
export function looksPaused(t: Tapdisk): boolean {
  return isPaused(t);
}

/**
 * Runs `fn` with every leaf's tapdisk paused — adopting those a crash left paused, pausing the
 * others — and unpauses all of them afterwards on every path: recovery never leaves one paused.
 */
async function withLeavesHeld<T>(tapCtl: TapCtl, leaves: string[], fn: () => Promise<T>): Promise<{ value: T; unpaused: number }> {
  const disks = await findTapdisks(tapCtl, leaves);
  const held: { t: Tapdisk; leaf: string }[] = [];
  let adopted = 0;
  let value: T | undefined;
  let failure: unknown = null;
  try {
    for (const [i, t] of disks.entries()) {
      if (looksPaused(t)) adopted++;
      else await tapCtl.pause(t.pid, t.minor);
      held.push({ t, leaf: leaves[i]! });
    }
    value = await fn();
  } catch (e) {
    failure = e;
  }
  const errors: string[] = [];
  for (const { t, leaf } of held) {
    await tapCtl.unpause(t.pid, t.minor, leaf).catch((e: Error) => errors.push(`unpause of tapdisk pid ${t.pid} minor ${t.minor} failed: ${e.message}`));
  }
  if (failure) {
    if (errors.length && failure instanceof Error) failure.message += `; ${errors.join('; ')}`;
    throw failure;
  }
  if (errors.length) throw new BackendError(errors.join('; '));
  return { value: value as T, unpaused: adopted };
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a), stat(b)]);
  return x.ino === y.ino && x.dev === y.dev;
}

async function sameReal(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)]);
  return x === y;
}

/**
 * Rolls one disk's freeze back from whatever state the files are in (the journal only says how
 * far the work got; the files say where it stopped). After the swap the leaf is F's child: if it
 * holds no block the guest never wrote to it and F goes back to the leaf path; otherwise undoing
 * would lose the guest's writes, so the snapshot is kept.
 */
async function rollbackDisk(d: DiskOp, keepSwapped: boolean): Promise<{ outcome: Outcome; message: string }> {
  const dir = dirname(d.leaf);
  const leftovers: string[] = [];
  if (d.childStarted && (await exists(d.child))) {
    await unlink(d.child); // made before the swap; rename consumed it if the swap happened
    leftovers.push('new child');
  }
  if (!(await exists(d.frozen))) {
    if (leftovers.length) await fsyncDir(dir);
    return { outcome: leftovers.length ? 'rolled-back' : 'nothing-to-do', message: `${d.vdev}: ${leftovers.length ? 'removed the new child' : 'nothing to undo'}` };
  }
  if (!(await exists(d.leaf))) {
    await rename(d.frozen, d.leaf);
    await fsyncDir(dir);
    return { outcome: 'rolled-back', message: `${d.vdev}: ${d.frozen} moved back to ${d.leaf}` };
  }
  if (await sameFile(d.leaf, d.frozen)) {
    await unlink(d.frozen);
    await fsyncDir(dir);
    return { outcome: 'rolled-back', message: `${d.vdev}: removed the frozen link ${d.frozen}` };
  }
  const chain = await readVhdChain(d.leaf);
  if (!chain[1] || !(await sameReal(chain[1].path, d.frozen))) {
    throw new BackendError(`${d.vdev}: ${d.leaf} is not a child of ${d.frozen}; recovery changes neither`);
  }
  if (chain[0]!.layout.info.allocatedBlocks > 0) {
    return { outcome: 'kept', message: `${d.vdev}: the new leaf already holds guest writes; snapshot kept` };
  }
  if (keepSwapped) return { outcome: 'kept', message: `${d.vdev}: snapshot kept with the domain's other disks` };
  await rename(d.frozen, d.leaf);
  await fsyncDir(dir);
  return { outcome: 'rolled-back', message: `${d.vdev}: empty child dropped; ${d.frozen} moved back to ${d.leaf}` };
}

/** True when the swap happened on this disk and the guest has written to the new leaf since. */
async function swappedAndWritten(d: DiskOp): Promise<boolean> {
  if (!(await exists(d.frozen)) || !(await exists(d.leaf)) || (await sameFile(d.leaf, d.frozen))) return false;
  const chain = await readVhdChain(d.leaf);
  return Boolean(chain[1]) && (await sameReal(chain[1]!.path, d.frozen)) && chain[0]!.layout.info.allocatedBlocks > 0;
}

/**
 * Finishes one disk's removal of F from P ← F ← C: the stream is idempotent, the relink is one
 * header write, and F is unlinked only once C no longer names it.
 */
async function finishRemoval(d: DiskOp): Promise<{ outcome: Outcome; message: string }> {
  if (!(await exists(d.frozen))) return { outcome: 'nothing-to-do', message: `${d.vdev}: ${d.frozen} is already gone` };
  const chain = await readVhdChain(d.child);
  const named = chain[1] ? await sameReal(chain[1].path, d.frozen) : false;
  if (named) {
    await streamVhdSectors(d.frozen, d.child);
    await relinkVhd(d.child, d.parent);
  } else {
    const ok = d.parent ? Boolean(chain[1]) && (await sameReal(chain[1]!.path, d.parent)) : chain.length === 1;
    if (!ok) throw new BackendError(`${d.vdev}: ${d.child} names neither ${d.frozen} nor ${d.parent ?? 'no parent'}; recovery leaves ${d.frozen} in place`);
  }
  await unlink(d.frozen);
  await fsyncDir(dirname(d.frozen));
  return { outcome: 'finished', message: `${d.vdev}: ${d.frozen} merged into ${d.child} and removed` };
}

/**
 * Brings an interrupted blktap operation to a consistent end: creates rolled back (or kept when
 * the guest already wrote to the new leaf), deletes finished. A running domain's images are
 * changed only with its tapdisks paused, and every tapdisk of the operation's leaves is unpaused
 * afterwards — including those the crash left paused. Idempotent.
 */
export async function recoverBlktap(req: RecoveryRequest, tapCtl: TapCtl): Promise<RecoveryReport> {
  const disks = disksOf(req.steps);
  const planned = req.action === 'delete' ? plannedStepsOf(req.steps) : [];
  const work = async () => {
    if (planned.length) {
      // a delete that journaled its planned steps: run them again (each part is idempotent)
      const records = recordsOfSteps(planned, req.domain);
      await runBlktapSteps(await resolveBlktapSteps({ domain: req.domain, snapshot: req.snapshot, type: 'external', disks: records, steps: planned }), noJournal);
      return [{ outcome: 'finished' as Outcome, message: `snapshot "${req.snapshot}" deleted from ${records.map((r) => r.vdev).join(', ')}` }];
    }
    const outs = [];
    // One snapshot spans all its disks: if any disk must be kept, every swapped disk is kept with it.
    let keepSwapped = false;
    if (req.action === 'create') for (const d of disks) keepSwapped ||= await swappedAndWritten(d);
    // newest first for creates, as the in-process rollback does
    for (const d of req.action === 'create' ? [...disks].reverse() : disks) outs.push(req.action === 'create' ? await rollbackDisk(d, keepSwapped) : await finishRemoval(d));
    return outs;
  };
  let outs: { outcome: Outcome; message: string }[];
  const messages: string[] = [];
  if (req.domain.state === 'shutoff' || disks.length === 0) outs = await work();
  else {
    // every tap disk of the domain, not only those the journal reached: the dying process had
    // paused all of the operation's tapdisks before its first step
    const leaves = [...new Set([...disks.map((d) => d.leaf), ...req.domain.disks.filter((d) => d.backend === 'tap' && !d.cdrom).map((d) => d.path)])];
    const r = await withLeavesHeld(tapCtl, leaves, work);
    outs = r.value;
    if (r.unpaused) messages.push(`${r.unpaused} tapdisk${r.unpaused === 1 ? '' : 's'} left paused by the crash unpaused`);
  }
  messages.unshift(...outs.map((o) => o.message));
  const outcome = (['kept', 'rolled-back', 'finished'] as const).find((o) => outs.some((x) => x.outcome === o)) ?? 'nothing-to-do';
  return { outcome, messages };
}
