import { pathExists } from '../util/path-exists.js';
import type { Domain } from '../model/domain.js';
import type { SnapshotDiskRecord, SnapshotRecord } from '../model/snapshot.js';
import { frozenImagePath } from '../backends/backend.js';
import { recoverLiveSteps } from '../hypervisor/live-recovery.js';
import { forgetJournal } from '../journal/read-journals.js';
import { buildRecord } from './build-record.js';
import type { ClassifiedSteps } from './classify-steps.js';
import type { CreateOp } from './journal-ops.js';
import type { PendingOp } from './pending-work.js';
import { recoverableBackend, type RecoveryDeps } from './recovery-deps.js';


/**
 * The record of a create recovery keeps (the backend could not undo it without losing guest
 * writes): written so the snapshot is managed — planned, retained, deleted — instead of drift.
 * External: the disks whose frozen image exists; internal: every disk of the operation.
 */
async function keptRecord(p: PendingOp, op: CreateOp, domain: Domain): Promise<SnapshotRecord | null> {
  const { seed, diskPaths } = op.detail;
  if (!diskPaths.length) return null;
  const disks: SnapshotDiskRecord[] = [];
  for (const d of diskPaths) {
    const base = { vdev: d.vdev, format: d.format as SnapshotDiskRecord['format'], backend: d.backend as SnapshotDiskRecord['backend'] };
    if (seed.type === 'internal') disks.push({ ...base, tag: seed.snapshot });
    else if (await pathExists(frozenImagePath(d.path, seed.snapshot))) disks.push({ ...base, frozenPath: frozenImagePath(d.path, seed.snapshot) });
  }
  if (!disks.length) return null;
  return buildRecord(seed, { uuid: domain.uuid, name: domain.name, state: op.detail.domainState }, disks, new Date(p.startedAt || Date.now()));
}

/**
 * A create a crash interrupted: rolled forward once its record step began (the backend had
 * confirmed), else its live half finished (a paused domain resumed, a partial memory image
 * removed) and its disk half rolled back by the backend — or kept and recorded when undoing
 * would lose guest writes.
 */
export async function recoverCreate(p: PendingOp, op: CreateOp, domain: Domain, steps: ClassifiedSteps, deps: RecoveryDeps): Promise<string> {
  const recordWritten = await deps.records.exists(deps.stateDir, op.domainKey, op.snapshot);
  const write = steps.record.find((s) => s.step === 'record.write');
  if (write && write.step === 'record.write') {
    if (!recordWritten) await deps.records.write(deps.stateDir, write.detail.record, op.domainKey);
    await forgetJournal(p.file);
    return `the snapshot had been made; ${recordWritten ? 'record already written' : 'record written'}`;
  }
  const messages: string[] = [];
  if (steps.live.length) {
    if (!deps.driver) throw new Error('an interrupted live snapshot needs the hypervisor driver');
    messages.push(...(await recoverLiveSteps(steps.live, domain, deps.driver)));
  }
  if (steps.backend.length === 0) {
    await forgetJournal(p.file);
    return `no image had been touched${messages.length ? ` (${messages.join('; ')})` : ''}; journal closed`;
  }
  const backend = recoverableBackend(deps, op.backend);
  // A live snapshot's domain was just resumed: the backend must treat it as running.
  const state = messages.length && domain.state === 'paused' ? 'running' : domain.state;
  const report = await backend.recover({ action: 'create', domain: { ...domain, state }, snapshot: op.snapshot, type: op.detail.type, steps: steps.backend });
  messages.push(...report.messages);
  let outcome: string = report.outcome;
  if (report.outcome === 'kept' && !recordWritten) {
    const record = await keptRecord(p, op, domain);
    if (record) {
      await deps.records.write(deps.stateDir, record, op.domainKey);
      outcome = 'kept (record written: the snapshot is managed)';
    }
  }
  await forgetJournal(p.file);
  return `${outcome}${messages.length ? ` (${messages.join('; ')})` : ''}`;
}
