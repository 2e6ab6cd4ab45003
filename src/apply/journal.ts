import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir, fsyncDir } from '../util/atomic-file.js';
import type { StepJournal } from '../backends/backend.js';

/** The operation a journal file is about: enough for recovery to find the images and the domain. */
export interface JournalOp {
  action: string;
  domainKey: string;
  domainName: string;
  snapshot: string;
  backend: string;
  /** Anything else recovery needs (type, disks, domain state before, …). */
  detail: Record<string, unknown>;
}

/** One named backend step as the journal saw it. `done` false on the last step means it was in flight. */
export interface JournalStep {
  step: string;
  detail: Record<string, unknown>;
  done: boolean;
}

/** An operation that began and never finished: what recovery works from. */
export interface PendingOp {
  id: string;
  file: string;
  op: JournalOp;
  startedAt: string;
  steps: JournalStep[];
}

type Line =
  | { t: 'begin'; op: JournalOp; at: string }
  | { t: 'intent'; step: string; detail: Record<string, unknown> }
  | { t: 'done'; step: string };

export const JOURNAL_DIR = '.journal';

/**
 * The write-ahead journal of one operation: a file of JSON lines under `stateDir/.journal/`, each
 * line fsynced before the step it announces runs. The file disappears when the operation ends
 * (after its metadata is written), so any file left there is work recovery must look at.
 */
export class OperationJournal implements StepJournal {
  private constructor(
    readonly id: string,
    readonly file: string,
    private readonly fh: FileHandle,
    private readonly dir: string,
  ) {}

  static async begin(stateDir: string, op: JournalOp): Promise<OperationJournal> {
    const dir = join(stateDir, JOURNAL_DIR);
    await ensurePrivateDir(dir);
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const file = join(dir, `${id}.jsonl`);
    const fh = await open(file, 'wx', 0o600);
    const journal = new OperationJournal(id, file, fh, dir);
    await journal.append({ t: 'begin', op, at: new Date().toISOString() });
    await fsyncDir(dir);
    return journal;
  }

  private async append(line: Line): Promise<void> {
    await this.fh.write(JSON.stringify(line) + '\n');
    await this.fh.sync();
  }

  async intent(step: string, detail: Record<string, unknown>): Promise<void> {
    await this.append({ t: 'intent', step, detail });
    crashHookForTests(step);
  }

  async done(step: string): Promise<void> {
    await this.append({ t: 'done', step });
  }

  /** The operation is over (succeeded, or failed and cleaned up): forget it. */
  async end(): Promise<void> {
    await this.fh.close();
    await unlink(this.file);
    await fsyncDir(this.dir);
  }

  /** Stop writing but leave the file for recovery (the operation could not be cleaned up). */
  async abandon(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * Test-only: `XENSNAP_TEST_CRASH_AT=<step>` (optionally `<step>#N` for the N-th time) makes the
 * process SIGKILL itself right after that step's intent is durable — the crash-injection point of
 * the recovery tests. Unset in production, it costs one environment lookup.
 */
let crashCount = 0;
function crashHookForTests(step: string): void {
  // XENSNAP_TEST_TRACE_STEPS=<file>: every step name is appended there, so tests can list them all.
  const trace = process.env.XENSNAP_TEST_TRACE_STEPS;
  if (trace) appendFileSync(trace, `${step}\n`);
  const want = process.env.XENSNAP_TEST_CRASH_AT;
  if (!want) return;
  const [name, nth] = want.split('#');
  if (name !== step) return;
  crashCount++;
  if (crashCount === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}

/** Reads every journal left behind. A torn last line (crash mid-append) is ignored. */
export async function readPendingOps(stateDir: string): Promise<PendingOp[]> {
  const dir = join(stateDir, JOURNAL_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ops: PendingOp[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    const parsed: Line[] = [];
    for (const l of lines) {
      try {
        parsed.push(JSON.parse(l) as Line);
      } catch {
        break; // torn write: nothing after it was ever durable
      }
    }
    const begin = parsed[0];
    if (!begin || begin.t !== 'begin') {
      ops.push({ id: name.replace(/\.jsonl$/, ''), file, op: { action: 'unknown', domainKey: '', domainName: '', snapshot: '', backend: '', detail: {} }, startedAt: '', steps: [] });
      continue;
    }
    const steps: JournalStep[] = [];
    for (const l of parsed.slice(1)) {
      if (l.t === 'intent') steps.push({ step: l.step, detail: l.detail, done: false });
      else if (l.t === 'done') {
        const s = [...steps].reverse().find((x) => x.step === l.step && !x.done);
        if (s) s.done = true;
      }
    }
    ops.push({ id: name.replace(/\.jsonl$/, ''), file, op: begin.op, startedAt: begin.at, steps });
  }
  return ops;
}

/** Removes a pending operation's journal once recovery has dealt with it. */
export async function forgetPendingOp(op: PendingOp): Promise<void> {
  await unlink(op.file).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
  await fsyncDir(join(op.file, '..'));
}
