import { chmod, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SnapshotBackend, StepJournal } from '../backends/backend.js';
import { BackendError } from '../errors.js';
import { withQuiesce } from '../guest-agent/quiesce.js';
import type { Disk, Domain } from '../model/domain.js';
import type { Finding } from '../model/observed.js';
import type { QuiesceMode, SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import { domainDir } from '../state/record-path.js';
import { ensurePrivateDir } from '../util/atomic-file.js';
import type { HypervisorDriver } from './driver.js';
import { snapshotSaveLive } from './qemu/snapshot-save.js';

export interface LiveSnapshotRequest {
  domain: Domain;
  disks: Disk[];
  snapshot: string;
  type: SnapshotType;
  backend: SnapshotBackend;
  driver: HypervisorDriver;
  journal: StepJournal;
  stateDir: string;
  quiesce: QuiesceMode;
  guestAgentSocket: string | null;
  /** How often a failed resume is tried again (default 3 more times, 250 ms apart). */
  resumeRetries?: number;
}

/**
 * A live snapshot that exists completely: `disks` hold it, and `memoryFile` (null for an internal
 * snapshot on standalone QEMU, whose VM state sits inside the first disk's qcow2) holds the memory.
 * `pauseWindowMs` is how long the guest was stopped.
 */
export interface LiveSnapshotResult {
  disks: SnapshotDiskRecord[];
  memoryFile: string | null;
  memoryBytes: number;
  pauseWindowMs: number;
  totalMs: number;
  /** The guest's file systems were frozen through its agent for the snapshot. */
  quiesced: boolean;
  findings: Finding[];
}

/** The memory image path of a live snapshot: `stateDir/<domain key>/<snapshot>.save`. */
export function memoryFilePath(stateDir: string, domainKey: string, snapshot: string): string {
  return join(domainDir(stateDir, domainKey), `${snapshot}.save`);
}

/**
 * pause → save memory → atomic disk snapshot → resume (a domain that was paused already is
 * neither paused nor resumed; under Xen `xl save -p` is the pause, see
 * HypervisorDriver.saveSuspends; the qemu driver snapshots the disks before
 * its memory, see HypervisorDriver.memoryAfterDisks), inside a guest freeze when asked. Every path
 * resumes the domain (a failed resume is retried, then reported loudly with `needsRecovery`); a
 * failure before the snapshot is whole removes the memory file and undoes the disk snapshot, so
 * nothing partial stays. Journal steps `live.pause`, `live.save-memory`, `live.disks`,
 * `live.resume` (live-steps.ts) tell crash recovery the domain may be paused.
 */
export async function takeLiveSnapshot(req: LiveSnapshotRequest): Promise<LiveSnapshotResult> {
  const started = performance.now();
  const notes: string[] = [];
  const { domain, driver, journal } = req;
  const internalOnQemu = req.type === 'internal' && driver.kind === 'qemu';
  const file = internalOnQemu ? null : memoryFilePath(req.stateDir, domain.key, req.snapshot);
  if (file) {
    // Checked before the pause as well as by the exclusive create below: a taken name must not cost a pause.
    if (await stat(file).then(() => true, () => false)) throw new BackendError(`memory image ${file} already exists; snapshot ${req.snapshot} was taken before`);
    await ensurePrivateDir(req.stateDir);
    await ensurePrivateDir(domainDir(req.stateDir, domain.key));
  }
  const paused: Domain = { ...domain, state: 'paused' };
  const wasPaused = domain.state === 'paused';
  // xl save -p suspends the guest itself: a paused guest cannot acknowledge, and libxl gives up after 60 s
  const saveSuspends = driver.saveSuspends && file !== null;
  if (saveSuspends && wasPaused) {
    throw new BackendError(
      `domain ${domain.name} is paused: xl save must ask the guest to suspend, which a paused guest cannot acknowledge (libxl gives up after 60 s); unpause it for a snapshot with memory, or take a disk-only one`,
    );
  }
  let pauseWindowMs = 0;
  let memoryBytes = 0;
  const outcome = { frozen: false };
  const result = await withQuiesce({ mode: req.quiesce, socket: req.guestAgentSocket, domainName: domain.name, outcome }, notes, async () => {
    await journal.intent('live.pause', { domain: domain.name, hypervisor: driver.kind, stateBefore: domain.state });
    const t0 = performance.now();
    let disks: SnapshotDiskRecord[] | null = null;
    let fileMade = false;
    let failure: unknown = null;
    try {
      // Inside the try: a pause that "failed" (a timeout, say) may still have stopped the guest.
      // Where the save suspends the guest, it is the pause (the journal step still says "may be paused").
      if (!wasPaused && !saveSuspends) await driver.pause(domain);
      await journal.done('live.pause');
      if (internalOnQemu) {
        await journal.intent('live.disks', { snapshot: req.snapshot, type: req.type, memory: 'snapshot-save' });
        const client = await driver.qmp(domain);
        try {
          const saved = await snapshotSaveLive(client, req.disks, req.snapshot);
          disks = saved.disks;
          memoryBytes = saved.vmStateBytes;
        } finally {
          client.close();
        }
        await journal.done('live.disks');
      } else {
        const saveMemory = async () => {
          await journal.intent('live.save-memory', { file });
          const fh = await open(file!, 'wx', 0o600); // an existing image of the same name is never overwritten
          await fh.close();
          fileMade = true;
          await driver.saveMemory(domain, file!);
          await chmod(file!, 0o600); // xl may have replaced the file with its own mode
          memoryBytes = (await stat(file!)).size;
          await journal.done('live.save-memory');
        };
        const snapDisks = async () => {
          await journal.intent('live.disks', { snapshot: req.snapshot, type: req.type });
          disks = await req.backend.create({ domain: paused, disks: req.disks, snapshot: req.snapshot, type: req.type }, journal);
          await journal.done('live.disks');
        };
        if (driver.memoryAfterDisks) {
          await snapDisks();
          await saveMemory();
        } else {
          await saveMemory();
          await snapDisks();
        }
      }
    } catch (err) {
      failure = err;
      const problems: string[] = [];
      if (fileMade) await unlink(file!).catch((e: Error) => problems.push(`removing ${file} failed: ${e.message}`));
      if (disks) {
        // The qemu order: disks were snapshotted, then the memory save failed. Undo the disks.
        await req.backend
          .delete({ domain: paused, snapshot: req.snapshot, type: req.type, disks }, journal)
          .catch((e: Error) => problems.push(`undoing the disk snapshot failed: ${e.message}`));
      }
      if (problems.length) (err as Error).message += `; cleanup left problems: ${problems.join('; ')}`;
    }
    // A domain its operator had paused stays paused: the snapshot must not wake it.
    if (!wasPaused) await resumeLoudly(req, notes, failure);
    pauseWindowMs = performance.now() - t0;
    if (failure) throw failure;
    return disks!;
  });
  return {
    disks: result,
    memoryFile: file,
    memoryBytes,
    pauseWindowMs,
    totalMs: performance.now() - started,
    quiesced: outcome.frozen,
    findings: notes.map((message) => ({ kind: 'info' as const, domain: { uuid: domain.uuid, name: domain.name }, message })),
  };
}

/**
 * Resumes, retrying. A journal that cannot be written does not stop the resume (resuming is always
 * safe); a failed resume is checked against the domain's real state, so a domain that runs anyway
 * (or is gone) is not reported as paused. When every try fails, throws an error recovery must act on.
 */
async function resumeLoudly(req: LiveSnapshotRequest, notes: string[], failure: unknown): Promise<void> {
  const { journal, driver, domain } = req;
  const journalOk = await journal.intent('live.resume', { domain: domain.name }).then(
    () => true,
    (e: Error) => (notes.push(`domain ${domain.name}: the journal could not record the resume (${e.message})`), false),
  );
  const tries = 1 + (req.resumeRetries ?? 3);
  let last: Error | null = null;
  for (let i = 0; i < tries; i++) {
    try {
      await driver.resume(domain);
      if (last) notes.push(`domain ${domain.name}: resume failed ${i} time(s) before it worked (${last.message})`);
      break;
    } catch (err) {
      last = err as Error;
      const now = await driver.status(domain).catch(() => null);
      if (now === 'running') {
        notes.push(`domain ${domain.name}: resume reported an error but the domain runs (${last.message})`);
        break;
      }
      if (now === 'shutoff') throw new BackendError(`domain ${domain.name} is gone (shut off) after the live snapshot${failure ? ` failed (${(failure as Error).message})` : ''}: ${last.message}`);
      if (i + 1 < tries) await sleep(250);
      else {
        const what = failure ? `the snapshot failed (${(failure as Error).message})` : 'the snapshot was taken';
        const e = new BackendError(`DOMAIN ${domain.name} IS LEFT PAUSED: ${what}, but resuming it failed ${tries} times: ${last.message}`) as BackendError & { needsRecovery: boolean };
        e.needsRecovery = true;
        throw e;
      }
    }
  }
  if (journalOk) await journal.done('live.resume').catch(() => {}); // the domain runs: that is what matters now
}
