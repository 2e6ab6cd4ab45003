import type { SnapshotBackend, StepJournal } from '../backends/backend.js';
import { BackendError, UserInputError } from '../errors.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { Disk, Domain } from '../model/domain.js';
import type { SnapshotRecord } from '../model/snapshot.js';
import { METADATA_FORMAT_VERSION } from '../model/snapshot.js';
import { writeRecord } from '../state/write-record.js';
import { applyInternalTag, freshLeafOver } from './fresh-leaf.js';
import type { RevertPlan } from './revert-plan.js';

export interface RevertDeps {
  driver: HypervisorDriver;
  /** The backend that owns a disk (qdisk or blktap); all disks of one revert share one. */
  backendFor(disk: Disk): SnapshotBackend;
  stateDir: string;
  journal: StepJournal;
  now: Date;
  writeRecord?: (stateDir: string, record: SnapshotRecord, domainKey: string) => Promise<unknown>;
}

/**
 * Carries out a revert plan. Order: stop the domain (when the plan says so), freeze the current
 * disks as the pre-revert snapshot through the backend's own shut-off create and record it, switch
 * every disk (apply the tag, or a fresh leaf over the frozen image), then restore memory for live
 * snapshots. Until the disk switches start, a failure leaves the disks' content untouched; the
 * pre-revert snapshot is recorded before any switch, so the old state is never lost.
 */
export async function revertDomain(plan: RevertPlan, domain: Domain, deps: RevertDeps): Promise<Domain> {
  if (plan.refusal) throw new UserInputError(`revert: ${plan.refusal}`);
  const { driver, journal } = deps;
  const stateBefore = await driver.status(domain);
  if (plan.stopFirst) {
    await journal.intent('revert-stop', { domain: domain.name, hypervisor: driver.kind });
    await driver.destroy(domain);
    await journal.done('revert-stop');
    const now = await driver.status(domain);
    if (now !== 'shutoff') throw new BackendError(`domain ${domain.name} is still ${now} after it was stopped; nothing was reverted`);
  } else if (stateBefore !== 'shutoff') {
    throw new UserInputError(`revert: domain ${domain.name} is ${stateBefore}; pass --stop to stop it first`);
  }
  const off: Domain = { ...domain, state: 'shutoff' };
  delete off.domid;
  const disks = plan.disks.map((s) => domain.disks.find((d) => d.vdev === s.vdev)!);
  const backend = deps.backendFor(disks[0]!);

  const kept = await backend.create({ domain: off, disks, snapshot: plan.preRevert, type: plan.type }, journal);
  await journal.intent('revert-record', { domainKey: domain.key, snapshot: plan.preRevert });
  const record: SnapshotRecord = {
    formatVersion: METADATA_FORMAT_VERSION,
    name: plan.preRevert,
    description: `state before revert to ${plan.snapshot}`,
    domain: { uuid: domain.uuid, name: domain.name },
    createdAt: deps.now.toISOString(),
    slot: null,
    policy: null,
    policyRevision: null,
    deletionPolicy: 'Retain',
    managedBy: 'xensnap',
    mode: 'disk-only',
    type: plan.type,
    domainState: plan.stopFirst ? stateBefore : 'shutoff',
    memoryFile: null,
    pinned: false,
    disks: kept,
  };
  await (deps.writeRecord ?? writeRecord)(deps.stateDir, record, domain.key);
  await journal.done('revert-record');

  for (const step of plan.disks) {
    if (step.action === 'load-tag') continue; // QEMU's snapshot-load reverts these disks below
    await journal.intent(`revert-disk:${step.vdev}`, { leaf: step.leaf, action: step.action, source: step.source });
    if (step.action === 'apply-tag') await applyInternalTag(step.leaf, step.source);
    else await freshLeafOver(step.leaf, step.source, step.format);
    await journal.done(`revert-disk:${step.vdev}`);
  }

  if (!plan.memory) return off;
  const paused = plan.after === 'paused';
  await journal.intent('revert-restore', { domain: domain.name, memory: plan.memory, paused });
  let restored: Domain;
  if (plan.memory.kind === 'file') restored = await driver.restore(off, plan.memory.file, { paused });
  else {
    if (!driver.restoreInternal) throw new BackendError(`the ${driver.kind} driver cannot load internal snapshots with memory`);
    restored = await driver.restoreInternal(off, plan.memory.tag, disks, { paused });
  }
  await journal.done('revert-restore');
  return restored;
}
