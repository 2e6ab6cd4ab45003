// The offline half of the qdisk backend: snapshots of shut-off domains through qemu-img.
import { BackendError, UserInputError } from '../../errors.js';
import { SNAPSHOT_NAME_RE } from '../../model/policy.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { CreateRequest, DeleteRequest, Progress, StepJournal } from '../backend.js';
import { assertShutOff, assertSnapshotable } from './offline-guard.js';
import { internalCreateSteps, internalRecords, validateInternalCreate } from './offline-internal.js';
import { externalCreateSteps, externalRecords, prepareExternalCreate } from './offline-external-create.js';
import { deleteQdiskSnapshot } from './graph-delete.js';
import { recoverOffline } from './offline-recover.js';
import { runSteps, type OfflineStep } from './offline-steps.js';

export { qdiskRefusal } from './qdisk-refusal.js';
export { recoverOffline, recoverOfflineOperation, isCreateStep, type RecoveryOutcome, type JournaledStep } from './offline-recover.js';
export type { OfflineStepName } from './offline-steps.js';

function checkCreateRequest(req: CreateRequest): void {
  if (!SNAPSHOT_NAME_RE.test(req.snapshot)) {
    throw new UserInputError(`snapshot name "${req.snapshot}" is invalid: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`);
  }
  if (req.disks.length === 0) throw new BackendError(`snapshot "${req.snapshot}" of domain "${req.domain.name}" selects no disk`);
  const seen = new Set<string>();
  for (const d of req.disks) {
    if (seen.has(d.path)) throw new BackendError(`disk image ${d.path} is selected twice in snapshot "${req.snapshot}"`);
    seen.add(d.path);
  }
}

/** Builds the steps and records of a create after every check passed; nothing has changed yet. */
async function prepareCreate(req: CreateRequest): Promise<{ steps: OfflineStep[]; records: SnapshotDiskRecord[] }> {
  if (req.type === 'internal') {
    await validateInternalCreate(req.disks, req.snapshot);
    return { steps: internalCreateSteps(req.disks, req.snapshot), records: internalRecords(req.disks, req.snapshot) };
  }
  const paths = [];
  for (const d of req.disks) paths.push(await prepareExternalCreate(d, req.snapshot));
  return { steps: externalCreateSteps(paths), records: externalRecords(req.disks, paths) };
}

/**
 * Creates snapshot `req.snapshot` on every disk of `req.disks` of a shut-off domain, all or
 * nothing: when a step fails, every step already started is rolled back (the same code crash
 * recovery runs) and the error is thrown; the images are as before. Returns one record per disk,
 * in `req.disks` order.
 */
export async function createOffline(req: CreateRequest, journal: StepJournal): Promise<SnapshotDiskRecord[]> {
  assertShutOff(req.domain, `snapshot the disks`);
  checkCreateRequest(req);
  assertSnapshotable(req.disks, req.type);
  const { steps, records } = await prepareCreate(req);
  const started: OfflineStep[] = [];
  try {
    await runSteps(steps, journal, undefined, started);
  } catch (err) {
    const failed: string[] = [];
    for (const s of [...started].reverse()) {
      try {
        const r = await recoverOffline(s.name, s.detail);
        if (r.action === 'kept') failed.push(r.message);
      } catch (e) {
        failed.push((e as Error).message);
      }
    }
    if (failed.length) {
      const e = new BackendError(`${(err as Error).message}; rolling back snapshot "${req.snapshot}" also failed (the journal holds the steps to recover): ${failed.join('; ')}`);
      // keep the journal: the next apply's recovery finishes the rollback (e.g. once there is room)
      throw Object.assign(e, { needsRecovery: true });
    }
    throw err;
  }
  return records;
}

/**
 * Deletes snapshot `req.snapshot` from a shut-off domain, each disk by its graph step (planned, or
 * decided here the way the planner decides): every disk is checked first (a refusal changes
 * nothing); then disks are done one by one and roll forward: a failure leaves the disks before it
 * deleted and is thrown with the journal holding what recovery needs to finish. A disk whose tag
 * or frozen image is already gone counts as done, so a re-run completes a partial delete.
 */
export async function deleteOffline(req: DeleteRequest, journal: StepJournal, progress?: Progress): Promise<void> {
  assertShutOff(req.domain, `delete snapshot "${req.snapshot}"`);
  await deleteQdiskSnapshot(req, { domain: req.domain, client: null, journal, ...(progress ? { progress } : {}) });
}
