import { rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError, FormatError } from '../../errors.js';
import { fsyncDir } from '../../util/atomic-file.js';
import * as img from './qemu-img.js';
import { backingOf, expectBacking, replaceChild } from './offline-external-delete.js';
import { isQdiskOfflineStep, lstatOrNull, sameInode, type QdiskOfflineStep } from './offline-steps.js';
import { unknownVariant } from '../../journal/unknown-variant.js';

/**
 * What recovery did for one journaled step. Create steps are rolled back ('rolled-back'), delete
 * steps are finished ('finished'); 'kept' means a create could not be undone without losing
 * guest data (the overlay already holds writes), so that disk keeps the snapshot.
 */
export interface RecoveryOutcome {
  step: string;
  vdev: string;
  action: 'rolled-back' | 'finished' | 'nothing-to-do' | 'kept';
  message: string;
}

/** A journaled step as the apply journal hands it back (done or not). */
export interface JournaledStep {
  step: string;
  detail: Record<string, unknown>;
}

function field(step: string, detail: object, key: string, nullable = false): string {
  const v = (detail as Record<string, unknown>)[key];
  if (typeof v === 'string' && v !== '') return v;
  if (nullable && v === null) return null as unknown as string;
  throw new FormatError('journal', `step ${step}: detail.${key} is missing or not a path`);
}

/** True when no cluster and no internal snapshot lives in the top image itself. */
async function overlayEmpty(file: string): Promise<boolean> {
  const top = await img.info(file, { format: 'qcow2' });
  if (top.snapshots.length) return false;
  return !(await img.map(file, 'qcow2')).some((e) => e.depth === 0 && (e.data || e.zero));
}

async function rollbackInternalCreate(step: string, d: object): Promise<RecoveryOutcome> {
  const [vdev, image, tag] = [field(step, d, 'vdev'), field(step, d, 'image'), field(step, d, 'tag')];
  if (!(await lstatOrNull(image))) return { step, vdev, action: 'nothing-to-do', message: `${image} is gone` };
  const n = (await img.info(image, { format: 'qcow2' })).snapshots.filter((s) => s.name === tag).length;
  if (n > 1) return { step, vdev, action: 'kept', message: `tag "${tag}" appears ${n} times in ${image}; none deleted` };
  if (n === 1) await img.snapshotDelete(image, tag);
  // A `snapshot -c` cut short (ENOSPC, a crash) can leak the clusters it had allocated: reclaim them.
  const leaks = (await img.check(image, 'qcow2')).leaks;
  if (leaks > 0) await img.check(image, 'qcow2', { repairLeaks: true });
  if (n === 0 && leaks === 0) return { step, vdev, action: 'nothing-to-do', message: `no tag "${tag}" in ${image}` };
  return { step, vdev, action: 'rolled-back', message: n ? `deleted tag "${tag}" from ${image}` : `repaired ${leaks} leaked cluster(s) in ${image}` };
}

async function finishInternalDelete(step: string, d: object): Promise<RecoveryOutcome> {
  const [vdev, image, tag] = [field(step, d, 'vdev'), field(step, d, 'image'), field(step, d, 'tag')];
  const n = (await img.info(image, { format: 'qcow2' })).snapshots.filter((s) => s.name === tag).length;
  if (n > 1) throw new BackendError(`tag "${tag}" appears ${n} times in ${image}; recovery deletes none`);
  if (n === 1) await img.snapshotDelete(image, tag);
  // A crash inside `snapshot -d` can leak clusters (table written, refcounts not yet): harmless, reclaimed here.
  const chk = await img.check(image, 'qcow2');
  if (chk.leaks > 0) await img.check(image, 'qcow2', { repairLeaks: true });
  return { step, vdev, action: n === 1 || chk.leaks > 0 ? 'finished' : 'nothing-to-do', message: `tag "${tag}" absent from ${image}` };
}

async function rollbackExternalCreate(step: string, d: object): Promise<RecoveryOutcome> {
  const [vdev, leaf, frozen, temp] = ['vdev', 'leaf', 'frozen', 'temp'].map((k) => field(step, d, k)) as [string, string, string, string];
  const dir = dirname(leaf);
  const l = await lstatOrNull(leaf);
  const f = await lstatOrNull(frozen);
  let action: RecoveryOutcome['action'] = 'nothing-to-do';
  if (f && sameInode(l, f)) {
    await unlink(frozen); // (b) happened, (c) did not: F is only a second name of L
    action = 'rolled-back';
  } else if (f && (!l || (await backingOf(leaf)) === frozen)) {
    // (c) happened: L is the new overlay over F (or L vanished, and F is the only copy).
    if (l && !(await overlayEmpty(leaf))) {
      return { step, vdev, action: 'kept', message: `${leaf} already holds writes over ${frozen}; the snapshot is kept so no data is lost` };
    }
    await rename(frozen, leaf);
    action = 'rolled-back';
  }
  // Otherwise an F that L does not read through is not ours (the link never happened): left alone.
  if (await lstatOrNull(temp)) {
    await unlink(temp);
    action = 'rolled-back';
  }
  if (action !== 'nothing-to-do') await fsyncDir(dir);
  return { step, vdev, action, message: `${leaf} is the image it was before the snapshot` };
}

async function finishMerge(step: string, d: object): Promise<RecoveryOutcome> {
  const [vdev, frozen, child, method] = ['vdev', 'frozen', 'child', 'method'].map((k) => field(step, d, k)) as [string, string, string, string];
  const parent = field(step, d, 'parent', true) as string | null;
  const backingName = field(step, d, 'backingName', true) as string | null;
  const parentFormat = field(step, d, 'parentFormat', true) as string | null;
  if (!(await lstatOrNull(frozen))) {
    await expectBacking(child, parent);
    return { step, vdev, action: 'nothing-to-do', message: `${frozen} is already merged away` };
  }
  const b = await backingOf(child);
  if (b !== frozen && b !== parent) throw new BackendError(`cannot finish merge: ${child} reads through ${b ?? 'nothing'}, neither ${frozen} nor ${parent ?? 'no backing'}`);
  if (method === 'commit') {
    if (b !== frozen) throw new BackendError(`cannot finish commit: ${child} no longer reads through ${frozen}`);
    await img.commit(child, { format: 'qcow2', keepTop: true });
    await replaceChild(frozen, child, parent);
  } else {
    if (b === frozen) await img.rebase(child, { format: 'qcow2', backing: backingName, backingFormat: parentFormat ?? undefined });
    await expectBacking(child, parent);
    await unlink(frozen);
    await fsyncDir(dirname(frozen));
  }
  return { step, vdev, action: 'finished', message: `${frozen} merged (${method}); ${child} reads through ${parent ?? 'nothing'}` };
}

/**
 * Brings one journaled step to a consistent end, whether it ran fully, partly or not at all
 * (each case is idempotent). Create steps roll back, delete steps finish. Call it only while the
 * domain is shut off.
 */
export async function recoverOfflineStep(s: QdiskOfflineStep): Promise<RecoveryOutcome> {
  switch (s.step) {
    case 'qdisk-offline.internal-create': return rollbackInternalCreate(s.step, s.detail);
    case 'qdisk-offline.internal-delete': return finishInternalDelete(s.step, s.detail);
    case 'qdisk-offline.external-overlay':
    case 'qdisk-offline.external-link':
    case 'qdisk-offline.external-switch': return rollbackExternalCreate(s.step, s.detail);
    case 'qdisk-offline.external-rebase':
    case 'qdisk-offline.external-unlink':
    case 'qdisk-offline.external-commit':
    case 'qdisk-offline.external-replace': return finishMerge(s.step, s.detail);
    // written only by graph deletes, whose every step carries the planned step: recovery runs
    // that again (online-recover.ts) and never reaches here for them
    case 'qdisk-offline.cluster-merge':
    case 'qdisk-offline.relink':
    case 'qdisk-offline.remove': throw new BackendError(`journal step ${s.step} of ${s.detail.vdev} carries no planned step to finish; delete the snapshot again`);
    default: return unknownVariant(s, 'qdisk offline step', 'journal');
  }
}

/** recoverOfflineStep for a step not yet known to be well-formed (a FormatError when it is not). */
export async function recoverOffline(step: string, detail: Record<string, unknown>): Promise<RecoveryOutcome> {
  const s = { step, detail };
  if (!isQdiskOfflineStep(s)) throw new FormatError('journal', `unknown or malformed qdisk offline step ${step}`);
  return recoverOfflineStep(s);
}

/** True for the steps recovery rolls back (the create steps). */
export function isCreateStep(step: string): boolean {
  return /^qdisk-offline\.(internal-create|external-(overlay|link|switch))$/.test(step);
}

/**
 * Recovers one interrupted operation from every step whose intent was journaled (done or not),
 * in journal order: a create is rolled back newest step first; a delete is finished in order.
 */
export async function recoverOfflineOperation(steps: JournaledStep[]): Promise<RecoveryOutcome[]> {
  const ordered = steps.length && isCreateStep(steps[0]!.step) ? [...steps].reverse() : steps;
  const out: RecoveryOutcome[] = [];
  for (const s of ordered) out.push(await recoverOffline(s.step, s.detail));
  return out;
}
