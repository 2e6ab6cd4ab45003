import { pathExists } from '../util/path-exists.js';
import type { Domain } from '../model/domain.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import { noJournal, type RecoveryStep, type SnapshotBackend } from '../backends/backend.js';
import { forgetJournal } from '../journal/read-journals.js';
import type { ClassifiedSteps } from './classify-steps.js';
import type { DeleteOp } from './journal-ops.js';
import type { PendingOp } from './pending-work.js';
import { recoverableBackend, type RecoveryDeps } from './recovery-deps.js';
import { removeMemoryFile } from './run-action.js';


/**
 * A delete journals a disk's steps only when it reaches that disk: the disks a crash kept it from
 * reaching still hold the snapshot. They are deleted now through the backend's ordinary delete
 * (external: only while their frozen image is still there, so a second recovery does not redo it).
 */
async function finishUnreachedDisks(op: DeleteOp, steps: RecoveryStep[], domain: Domain, backend: SnapshotBackend): Promise<string[]> {
  const reached = new Set(steps.map((s) => s.detail.vdev).filter((v): v is string => typeof v === 'string'));
  const rest: SnapshotDiskRecord[] = [];
  for (const d of op.detail.snapshotDisks) {
    if (reached.has(d.vdev)) continue;
    if (d.frozenPath ? await pathExists(d.frozenPath) : Boolean(d.tag)) rest.push(d);
  }
  if (!rest.length) return [];
  const planned = (op.detail.steps ?? []).filter((s) => rest.some((d) => d.vdev === s.vdev));
  await backend.delete({ domain, snapshot: op.snapshot, type: op.detail.type, disks: rest, ...(planned.length ? { steps: planned } : {}) }, noJournal);
  return [`deleted the snapshot from ${rest.map((d) => d.vdev).join(', ')}, which the interrupted delete had not reached`];
}

/** A delete a crash interrupted: always finished (images first, then the record and memory image). */
export async function recoverDelete(p: PendingOp, op: DeleteOp, domain: Domain, steps: ClassifiedSteps, deps: RecoveryDeps): Promise<string> {
  const recordWritten = await deps.records.exists(deps.stateDir, op.domainKey, op.snapshot);
  const remove = steps.record.find((s) => s.step === 'record.remove');
  if (remove && remove.step === 'record.remove') {
    await removeMemoryFile(remove.detail.memoryFile);
    if (recordWritten) await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
    await forgetJournal(p.file);
    return 'images were already merged; record removed';
  }
  if (steps.backend.length === 0) {
    await forgetJournal(p.file);
    return 'no image had been touched; journal closed';
  }
  const backend = recoverableBackend(deps, op.backend);
  const report = await backend.recover({ action: 'delete', domain, snapshot: op.snapshot, type: op.detail.type, steps: steps.backend });
  const messages = [...report.messages, ...(await finishUnreachedDisks(op, steps.backend, domain, backend))];
  if (recordWritten && report.outcome !== 'kept') await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
  await forgetJournal(p.file);
  return `${report.outcome}${messages.length ? ` (${messages.join('; ')})` : ''}`;
}
