import { unlink } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { Policy } from '../model/policy.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { HookProfile } from '../model/host-config.js';
import type { SnapshotBackend } from '../backends/backend.js';
import type { ActionResult, ExecAction, ExecEvent } from './execute-types.js';
import { OperationJournal } from '../journal/operation-journal.js';
import type { CreateOp, DeleteOp } from './journal-ops.js';
import { buildRecord, recordSeed } from './build-record.js';
import { runHookPhase } from './run-hooks.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import { takeLiveSnapshot } from '../hypervisor/live-snapshot.js';
import { withQuiesce } from '../guest-agent/quiesce.js';
import { formatBytes } from '../util/format-bytes.js';
import type { RecordStore } from '../state/record-store.js';

export interface ActionDeps {
  stateDir: string;
  snapshots: ObservedSnapshot[];
  policies: Policy[];
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
  now: () => Date;
  /** The host config's hook profiles; a policy names one with `hooks`. */
  hooks?: Record<string, HookProfile>;
  /** Pauses, saves memory and finds guest agents: needed for live snapshots and quiesce. */
  driver?: HypervisorDriver;
  onEvent?: (e: ExecEvent) => void;
  records: Pick<RecordStore, 'write' | 'remove'>;
}

/** Removes a live snapshot's memory image; already gone is fine (idempotent for recovery). */
export async function removeMemoryFile(path: string | null): Promise<void> {
  if (path) await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** qdisk for every disk but tap ones. */
export function backendNameOf(backend: string): 'qdisk' | 'blktap' {
  return backend === 'tap' ? 'blktap' : 'qdisk';
}

/** The single backend all the action's disks use, or an error: one snapshot never spans two. */
function pickBackend(names: string[], deps: ActionDeps): SnapshotBackend {
  const set = new Set(names.map(backendNameOf));
  if (set.size !== 1) throw new Error(`its disks use both the qdisk and the blktap backend; one snapshot must stay within one backend`);
  return deps.backends[[...set][0]!];
}

/** What a create tells its result: facts worth knowing, and how the snapshot is weaker than asked. */
interface CreateOutcome {
  notes: string[];
  warnings: string[];
}

/**
 * Takes the snapshot: live (pause → memory → disks → resume) for a running or paused domain when
 * the mode says so, otherwise disk-only — frozen through the guest agent when the policy asks and
 * the domain runs. The record says what the snapshot really is (disk-only when no memory was
 * saved, whether it was quiesced) and what was asked; anything weaker is a warning.
 */
async function create(a: ExecAction, domain: Domain, deps: ActionDeps, journal: OperationJournal): Promise<CreateOutcome> {
  const disks = domain.disks.filter((d) => a.disks.includes(d.vdev));
  const missing = a.disks.filter((v) => !disks.some((d) => d.vdev === v));
  if (missing.length) throw new Error(`the domain has no disk ${missing.join(', ')}`);
  const backend = pickBackend(disks.map((d) => d.backend), deps);
  const progress = (p: { step: string; done: number; total: number }) => deps.onEvent?.({ type: 'action-progress', action: a, ...p });
  const policy = a.policy ? deps.policies.find((p) => p.name === a.policy) : undefined;
  const quiesce = policy?.quiesce ?? 'off';
  // what was asked: the policy's mode (a plan may already have settled for disk-only), or create's
  const requestedMode = policy?.mode ?? a.mode;
  const out: CreateOutcome = { notes: [], warnings: [] };
  const req = { domain, disks, snapshot: a.snapshot, type: a.type };
  let made;
  let memoryFile: string | null = null;
  let mode: ExecAction['mode'] = 'disk-only';
  let quiesced = false;
  if (domain.state === 'shutoff') {
    if (requestedMode === 'live') out.warnings.push(`domain ${domain.name} is shut off: a disk-only snapshot was made, without memory, though ${policy ? `policy ${policy.name}` : 'create'} asks for live`);
    made = await backend.create(req, journal, progress);
  } else if (a.mode === 'live') {
    if (!deps.driver) throw new Error('live snapshots need the hypervisor driver, which this run was not given');
    const live = await takeLiveSnapshot({
      ...req,
      backend,
      driver: deps.driver,
      journal,
      stateDir: deps.stateDir,
      quiesce,
      guestAgentSocket: deps.driver.guestAgent(domain),
    });
    made = live.disks;
    memoryFile = live.memoryFile;
    mode = 'live';
    quiesced = live.quiesced;
    out.warnings.push(...live.findings.map((f) => f.message));
    out.notes.push(`memory ${formatBytes(live.memoryBytes)}, paused ${Math.round(live.pauseWindowMs)} ms`);
  } else {
    if (requestedMode === 'live') out.warnings.push(`a disk-only snapshot was made, without memory, though policy ${a.policy} asks for live (${a.notes?.join('; ') ?? 'the plan said disk-only'})`);
    const socket = deps.driver?.guestAgent(domain) ?? null;
    const outcome = { frozen: false };
    made = await withQuiesce({ mode: quiesce, socket, domainName: domain.name, outcome }, out.warnings, () => backend.create(req, journal, progress));
    quiesced = outcome.frozen;
  }
  // The record is written only after the backend confirmed: a record always means a snapshot.
  // Its intent carries the whole record, so recovery rolls a crash here forward, not back.
  const record = { ...buildRecord(recordSeed(a, deps.policies), domain, made, deps.now()), mode, memoryFile, quiesced, requested: { mode: requestedMode, quiesce } };
  await journal.intent('record.write', { domainKey: domain.key, snapshot: a.snapshot, record });
  await deps.records.write(deps.stateDir, record, domain.key);
  await journal.done('record.write');
  return out;
}

async function remove(a: ExecAction, domain: Domain, deps: ActionDeps, journal: OperationJournal) {
  const snap = deps.snapshots.find((s) => s.domainKey === domain.key && s.name === a.snapshot);
  if (!snap) throw new Error(`snapshot ${a.snapshot} was not observed on ${domain.name}`);
  if (!snap.managed && !a.foreign) throw new Error(`snapshot ${a.snapshot} is foreign: xensnap never deletes it`);
  const backend = pickBackend(snap.disks.map((d) => d.backend), deps);
  const progress = (p: { step: string; done: number; total: number }) => deps.onEvent?.({ type: 'action-progress', action: a, ...p });
  await backend.delete({ domain, snapshot: a.snapshot, type: snap.type, disks: snap.disks, ...(a.merge ? { steps: a.merge.disks } : {}) }, journal, progress);
  // a live snapshot's memory image goes with its record, in the same journaled step
  const memoryFile = snap.record?.memoryFile ?? null;
  await journal.intent('record.remove', { domainKey: domain.key, snapshot: a.snapshot, memoryFile });
  await removeMemoryFile(memoryFile);
  await deps.records.remove(deps.stateDir, domain.key, a.snapshot);
  await journal.done('record.remove');
}

/**
 * Runs one action under its own journal. On failure the backend has already undone its part
 * (creates are atomic); the journal is ended so recovery does not redo it — unless the failure
 * left work recovery must finish, which backends signal by throwing with `needsRecovery`.
 */
export async function runAction(a: ExecAction, domain: Domain, deps: ActionDeps): Promise<ActionResult> {
  const started = Date.now();
  const hook = hookOf(a, deps);
  if (hook) {
    const failed = await runHookPhase(hook.name, hook.profile, 'pre', a, domain);
    if (failed) return { action: a, status: 'skipped', message: failed, durationMs: Date.now() - started };
  }
  const result = await runJournaled(a, domain, deps, started);
  if (hook && result.status === 'ok') {
    const failed = await runHookPhase(hook.name, hook.profile, 'post', a, domain);
    if (failed) return { ...result, message: failed, durationMs: Date.now() - started };
  }
  return result;
}

/**
 * The hook profile around this action: creates only (a pre-snapshot hook quiesces an application
 * for the snapshot; deleting a snapshot never touches the guest, so nothing needs to be quiesced).
 * A policy naming a profile the config lacks is refused by validation; here it is simply none.
 */
function hookOf(a: ExecAction, deps: ActionDeps): { name: string; profile: HookProfile } | null {
  if (a.action !== 'create' || !a.policy) return null;
  const name = deps.policies.find((p) => p.name === a.policy)?.hooks;
  const profile = name ? deps.hooks?.[name] : undefined;
  return name && profile ? { name, profile } : null;
}

/** The begin line of an action's journal: enough for recovery to find the images and the domain. */
function journalOp(a: ExecAction, domain: Domain, deps: ActionDeps): CreateOp | DeleteOp {
  const base = {
    domainKey: domain.key,
    domainName: domain.name,
    snapshot: a.snapshot,
    backend: a.disks.length ? backendNameOf(domain.disks.find((d) => d.vdev === a.disks[0])?.backend ?? 'qdisk') : 'qdisk',
  } as const;
  const common = {
    type: a.type,
    mode: a.mode,
    disks: a.disks,
    domainState: domain.state,
    diskPaths: domain.disks.filter((d) => a.disks.includes(d.vdev)).map((d) => ({ vdev: d.vdev, path: d.path, format: d.format, backend: d.backend })),
  };
  if (a.action === 'create') {
    // enough for recovery to write the record of a snapshot it must keep
    return { ...base, action: 'create', detail: { ...common, seed: recordSeed(a, deps.policies) } };
  }
  // a delete's disks: recovery finishes the ones a crash stopped it from reaching
  const snapshotDisks = deps.snapshots.find((s) => s.domainKey === domain.key && s.name === a.snapshot)?.disks ?? [];
  // and the planned step of each disk, so recovery runs what the plan decided
  return { ...base, action: 'delete', detail: { ...common, snapshotDisks, ...(a.merge ? { steps: a.merge.disks } : {}) } };
}

async function runJournaled(a: ExecAction, domain: Domain, deps: ActionDeps, started: number): Promise<ActionResult> {
  const journal = await OperationJournal.begin(deps.stateDir, journalOp(a, domain, deps));
  try {
    const made = a.action === 'create' ? await create(a, domain, deps, journal) : (await remove(a, domain, deps, journal), { notes: [], warnings: [] });
    await journal.end();
    return {
      action: a,
      status: 'ok',
      message: made.notes.length ? made.notes.join('; ') : null,
      ...(made.warnings.length ? { warnings: made.warnings } : {}),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    const e = err as Error & { needsRecovery?: boolean; skip?: boolean };
    if (e.needsRecovery) await journal.abandon();
    else await journal.end();
    return { action: a, status: e.skip ? 'skipped' : 'failed', message: e.message, durationMs: Date.now() - started };
  }
}
