import { removeMemoryFile } from './run-action.js';
import { access } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord, SnapshotRecord } from '../model/snapshot.js';
import type { DiskDeleteStep } from '../plan/plan-types.js';
import { frozenImagePath, noJournal, type SnapshotBackend, type RecoverableBackend, type RecoveryStep } from '../backends/backend.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import { LIVE_STEPS, recoverLiveSteps } from '../hypervisor/live-recovery.js';
import { readPendingOps, forgetPendingOp, type PendingOp } from './journal.js';
import { buildRecord, type RecordSeed } from './build-record.js';

/** What recovery did, one line per interrupted operation, and what it could not resolve. */
export interface RecoveryResult {
  recovered: string[];
  /** Domains whose interrupted work is still open: nothing else may touch them this run. */
  unresolved: { domainKey: string; message: string }[];
}

export interface RecoveryDeps {
  stateDir: string;
  domains: Domain[];
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
  records: {
    exists(stateDir: string, domainKey: string, name: string): Promise<boolean>;
    remove(stateDir: string, domainKey: string, name: string): Promise<void>;
    write(stateDir: string, record: SnapshotRecord, domainKey: string): Promise<void>;
  };
  /** Resumes domains an interrupted live snapshot left paused; without it such ops stay open. */
  driver?: HypervisorDriver;
}

function isRecoverable(b: SnapshotBackend): b is RecoverableBackend {
  return typeof (b as Partial<RecoverableBackend>).recover === 'function';
}

const RECORD_STEPS = new Set(['write-record', 'remove-record']);
const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * The record of a create recovery keeps (the backend could not undo it without losing guest
 * writes): written so the snapshot is managed — planned, retained, deleted — instead of drift.
 * External: the disks whose frozen image exists; internal: every disk of the operation.
 */
async function keptRecord(p: PendingOp, domain: Domain): Promise<SnapshotRecord | null> {
  const seed = p.op.detail.seed as RecordSeed | null | undefined;
  const paths = (p.op.detail.diskPaths ?? []) as { vdev: string; path: string; format: string; backend: string }[];
  if (!seed || !paths.length) return null;
  const disks: SnapshotDiskRecord[] = [];
  for (const d of paths) {
    const base = { vdev: d.vdev, format: d.format as SnapshotDiskRecord['format'], backend: d.backend as SnapshotDiskRecord['backend'] };
    if (seed.type === 'internal') disks.push({ ...base, tag: seed.snapshot });
    else if (await exists(frozenImagePath(d.path, seed.snapshot))) disks.push({ ...base, frozenPath: frozenImagePath(d.path, seed.snapshot) });
  }
  if (!disks.length) return null;
  const state = (p.op.detail.domainState as Domain['state'] | undefined) ?? domain.state;
  return buildRecord(seed, { uuid: domain.uuid, name: domain.name, state }, disks, new Date(p.startedAt || Date.now()));
}

/**
 * A delete journals a disk's steps only when it reaches that disk: the disks a crash kept it from
 * reaching still hold the snapshot. They are deleted now through the backend's ordinary delete
 * (external: only while their frozen image is still there, so a second recovery does not redo it).
 */
async function finishUnreachedDisks(p: PendingOp, steps: RecoveryStep[], domain: Domain, backend: SnapshotBackend): Promise<string[]> {
  const all = (p.op.detail.snapshotDisks ?? []) as SnapshotDiskRecord[];
  const reached = new Set(steps.map((s) => s.detail.vdev).filter((v): v is string => typeof v === 'string'));
  const rest: SnapshotDiskRecord[] = [];
  for (const d of all) {
    if (reached.has(d.vdev)) continue;
    if (d.frozenPath ? await exists(d.frozenPath) : Boolean(d.tag)) rest.push(d);
  }
  if (!rest.length) return [];
  const planned = ((p.op.detail.steps ?? []) as DiskDeleteStep[]).filter((s) => rest.some((d) => d.vdev === s.vdev));
  await backend.delete({ domain, snapshot: p.op.snapshot, type: (p.op.detail.type as SnapshotType) ?? 'external', disks: rest, ...(planned.length ? { steps: planned } : {}) }, noJournal);
  return [`deleted the snapshot from ${rest.map((d) => d.vdev).join(', ')}, which the interrupted delete had not reached`];
}

async function recoverOne(p: PendingOp, deps: RecoveryDeps): Promise<string> {
  const { op } = p;
  const label = `${op.action} of ${op.snapshot} on ${op.domainName}`;
  const domain = deps.domains.find((d) => d.key === op.domainKey);
  if (!domain) throw new Error(`${label}: the domain is not in the inventory; its journal ${p.file} is kept`);
  const recordWritten = await deps.records.exists(deps.stateDir, op.domainKey, op.snapshot);
  const writeStep = p.steps.find((s) => s.step === 'write-record');
  if (op.action === 'create' && writeStep) {
    // The backend had confirmed: roll forward with the record the journal carries.
    const record = writeStep.detail.record as SnapshotRecord | undefined;
    if (!recordWritten && record) await deps.records.write(deps.stateDir, record, op.domainKey);
    await forgetPendingOp(p);
    return `${label}: the snapshot had been made; ${recordWritten ? 'record already written' : 'record written'}`;
  }
  const removeStep = p.steps.find((s) => s.step === 'remove-record');
  if (op.action === 'delete' && removeStep) {
    await removeMemoryFile((removeStep.detail.memoryFile as string | null | undefined) ?? null);
    if (recordWritten) await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
    await forgetPendingOp(p);
    return `${label}: images were already merged; record removed`;
  }
  let backendSteps: RecoveryStep[] = p.steps.filter((s) => !RECORD_STEPS.has(s.step));
  const messages: string[] = [];
  if (backendSteps.some((s) => LIVE_STEPS.has(s.step))) {
    if (!deps.driver) throw new Error(`${label}: an interrupted live snapshot needs the hypervisor driver; journal ${p.file} is kept`);
    const live = await recoverLiveSteps(backendSteps, domain, deps.driver);
    backendSteps = live.backendSteps;
    messages.push(...live.messages);
  }
  if (backendSteps.length === 0) {
    await forgetPendingOp(p);
    return `${label}: no image had been touched${messages.length ? ` (${messages.join('; ')})` : ''}; journal closed`;
  }
  const backend = deps.backends[op.backend === 'blktap' ? 'blktap' : 'qdisk'];
  if (!isRecoverable(backend)) throw new Error(`${label}: the ${backend.name} backend cannot recover this operation; journal ${p.file} is kept`);
  // A live snapshot's domain was just resumed: the backend must treat it as running.
  const state = messages.length && domain.state === 'paused' ? 'running' : domain.state;
  const report = await backend.recover({
    action: op.action === 'delete' ? 'delete' : 'create',
    domain: { ...domain, state },
    snapshot: op.snapshot,
    type: (op.detail.type as SnapshotType) ?? 'external',
    steps: backendSteps,
  });
  messages.push(...report.messages);
  if (op.action === 'delete') messages.push(...(await finishUnreachedDisks(p, backendSteps, { ...domain, state }, backend)));
  let outcome: string = report.outcome;
  if (op.action === 'delete' && recordWritten && report.outcome !== 'kept') await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
  if (op.action === 'create' && report.outcome === 'kept' && !recordWritten) {
    const record = await keptRecord(p, domain);
    if (record) {
      await deps.records.write(deps.stateDir, record, op.domainKey);
      outcome = 'kept (record written: the snapshot is managed)';
    }
  }
  await forgetPendingOp(p);
  return `${label}: ${outcome}${messages.length ? ` (${messages.join('; ')})` : ''}`;
}

/**
 * Runs at the start of every apply and run, under the instance lock: every journal left by an
 * interrupted operation is handed to the backend that wrote it, which rolls creates back and
 * finishes deletes; records follow the images. A create whose backend had confirmed is rolled
 * forward (its record written); one the backend cannot undo without losing guest writes is kept
 * and recorded. Domains a live snapshot left paused are resumed first. Idempotent: a journal is
 * removed only once its work is resolved. What cannot be resolved keeps its journal and blocks
 * its domain.
 */
export async function recoverPending(deps: RecoveryDeps): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], unresolved: [] };
  for (const p of await readPendingOps(deps.stateDir)) {
    try {
      result.recovered.push(await recoverOne(p, deps));
    } catch (err) {
      result.unresolved.push({ domainKey: p.op.domainKey, message: (err as Error).message });
    }
  }
  return result;
}
