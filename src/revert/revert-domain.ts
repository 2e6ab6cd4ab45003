import type { OwnedStepJournal, RecoverableBackend, StepJournal } from '../backends/backend.js';
import { BackendError } from '../errors.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { Domain } from '../model/domain.js';
import { METADATA_FORMAT_VERSION, type SnapshotRecord, type SnapshotDiskRecord } from '../model/snapshot.js';
import { classifySteps } from '../apply/classify-steps.js';
import type { RevertOp } from '../apply/journal-ops.js';
import type { RecordStep } from '../apply/record-steps.js';
import type { ReadStep } from '../journal/step-detail.js';
import { frozenImagePath } from '../backends/backend.js';
import { buildLeaf, switchDisk } from './revert-disk.js';
import { resolveRevert, type RevertOutcome, type RevertResolveDeps } from './revert-resolve.js';
import type { RevertDiskPlan, RevertStep } from './revert-steps.js';

/** The journal of a revert: written step by step, and read back to roll back after a failure. */
export interface RevertJournal extends StepJournal {
  readonly file: string;
  readSteps(): Promise<ReadStep[]>;
}

export interface RevertDeps extends RevertResolveDeps {
  journal: RevertJournal;
  now: Date;
}

/** The pre-revert snapshot's record: a manual snapshot of the disks as they were. */
function preRevertRecord(op: RevertOp, domain: Domain, disks: SnapshotDiskRecord[], now: Date): SnapshotRecord {
  const d = op.detail;
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    name: d.preRevert,
    description: `state before revert to ${d.target}`,
    domain: { uuid: domain.uuid, name: domain.name },
    createdAt: now.toISOString(),
    slot: null,
    policy: null,
    policyRevision: null,
    deletionPolicy: 'Retain',
    managedBy: 'xensnap',
    mode: 'disk-only',
    type: d.preRevertType,
    domainState: d.stateBefore,
    memoryFile: null,
    pinned: false,
    disks,
  };
}

/**
 * Carries out a checked revert, journaled step by step: new leaves built aside (those that read
 * through images existing now, before the domain is stopped, so a failure there costs no stop),
 * the domain stopped (--stop), the pre-revert snapshot made through the backend's shut-off create
 * and recorded, leaves reading through their own pre-revert image built, every disk switched, and
 * memory restored. On any failure the journal is read back and resolveRevert brings the domain to
 * one of its two end states, the same way crash recovery does; the outcome carries the error.
 * Throws only when that resolution itself fails (the journal is then work for recovery).
 */
export async function revertDomain(op: RevertOp, domain: Domain, deps: RevertDeps): Promise<RevertOutcome & { error: Error | null }> {
  const d = op.detail;
  const journal = deps.journal as OwnedStepJournal<RevertStep | RecordStep> & RevertJournal;
  const detailOf = (p: RevertDiskPlan) => ({ ...p, preFrozen: d.preRevertType === 'external' ? frozenImagePath(p.leaf, d.preRevert) : null });
  const build = async (p: RevertDiskPlan) => {
    await journal.intent('revert.build-leaf', detailOf(p));
    await buildLeaf(p);
    await journal.done('revert.build-leaf');
  };
  const late = (p: RevertDiskPlan) => p.source === detailOf(p).preFrozen;
  try {
    for (const p of d.disks) if (p.temp && !late(p)) await build(p);
    if (d.stopFirst) {
      await journal.intent('revert.stop', { domain: domain.name, hypervisor: deps.driver.kind, stateBefore: d.stateBefore });
      await deps.driver.destroy(domain);
      await journal.done('revert.stop');
      const now = await deps.driver.status(domain);
      if (now !== 'shutoff') throw new BackendError(`domain ${domain.name} is still ${now} after it was stopped`);
    }
    const off: Domain = { ...domain, state: 'shutoff' };
    delete off.domid;
    const disks = d.disks.map((p) => domain.disks.find((x) => x.vdev === p.vdev)!);
    await journal.intent('revert.pre-revert', { snapshot: d.preRevert, type: d.preRevertType });
    const made = await deps.backend.create({ domain: off, disks, snapshot: d.preRevert, type: d.preRevertType }, journal);
    await journal.done('revert.pre-revert');
    const record = preRevertRecord(op, domain, made, deps.now);
    await journal.intent('record.write', { domainKey: domain.key, snapshot: d.preRevert, record });
    await deps.records.write(deps.stateDir, record, domain.key);
    await journal.done('record.write');
    for (const p of d.disks) if (p.temp && late(p)) await build(p);
    for (const p of d.disks) {
      if (p.method === 'load-tag') continue; // QEMU's snapshot-load switches these with the memory
      await journal.intent('revert.switch-disk', detailOf(p));
      await switchDisk(p);
      await journal.done('revert.switch-disk');
    }
    if (!d.memory) return { state: 'reverted', domainState: 'shutoff', stopped: d.stopFirst, messages: [], error: null };
    const paused = d.after === 'paused';
    await journal.intent('revert.restore', { domain: domain.name, memory: d.memory, paused });
    if (d.memory.kind === 'file') await deps.driver.restore(off, d.memory.file, { paused });
    else {
      if (!deps.driver.restoreInternal) throw new BackendError(`the ${deps.driver.kind} driver cannot load internal snapshots with memory`);
      await deps.driver.restoreInternal(off, d.memory.tag, disks, { paused });
    }
    await journal.done('revert.restore');
    return { state: 'reverted', domainState: d.after, stopped: d.stopFirst, messages: [], error: null };
  } catch (err) {
    const steps = classifySteps(op, await journal.readSteps(), journal.file);
    return { ...(await resolveRevert(op, steps, domain, deps)), error: err as Error };
  }
}
