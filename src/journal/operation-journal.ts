import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir, fsyncDir } from '../util/atomic-file.js';
import { atCrashPoint } from './crash-points.js';
import { stepLabel } from './step-names.js';
import { parseJournalText } from './read-journals.js';
import type { ReadStep } from './step-detail.js';

export const JOURNAL_DIR = '.journal';
/** Written in every begin line; a journal of another version is never guessed at. */
export const JOURNAL_FORMAT_VERSION = 2;

/** What a begin line must say about its operation; the typed operations live with recovery. */
export interface JournalOpHead {
  action: string;
  domainKey: string;
  domainName: string;
  snapshot: string;
}

/** The lines of a journal file, one JSON object each. */
export type JournalLine =
  | { t: 'begin'; v: number; op: object; at: string }
  | { t: 'intent'; step: string; detail: object }
  | { t: 'done'; step: string };

/**
 * The write-ahead journal of one operation: a file of JSON lines under `stateDir/.journal/`, each
 * line fsynced before the step it announces runs. The file disappears when the operation ends,
 * so any file left there is work recovery must look at. Steps of one journal run one at a time:
 * `done(step)` closes the latest open intent of that name.
 */
export class OperationJournal {
  private readonly open: { step: string; label: string }[] = [];

  private constructor(
    readonly id: string,
    readonly file: string,
    private readonly fh: FileHandle,
    private readonly dir: string,
  ) {}

  static async begin<O extends JournalOpHead>(stateDir: string, op: O): Promise<OperationJournal> {
    const dir = join(stateDir, JOURNAL_DIR);
    await ensurePrivateDir(dir);
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const file = join(dir, `${id}.jsonl`);
    const fh = await open(file, 'wx', 0o600);
    const journal = new OperationJournal(id, file, fh, dir);
    await journal.append({ t: 'begin', v: JOURNAL_FORMAT_VERSION, op, at: new Date().toISOString() });
    await fsyncDir(dir);
    return journal;
  }

  private async append(line: JournalLine): Promise<void> {
    await this.fh.write(JSON.stringify(line) + '\n');
    await this.fh.sync();
  }

  async intent(step: string, detail: object): Promise<void> {
    await this.append({ t: 'intent', step, detail });
    const label = stepLabel(step, detail);
    this.open.push({ step, label });
    atCrashPoint('intent', label);
  }

  async done(step: string): Promise<void> {
    const i = this.open.map((o) => o.step).lastIndexOf(step);
    const label = i >= 0 ? this.open.splice(i, 1)[0]!.label : step;
    atCrashPoint('effect', label);
    await this.append({ t: 'done', step });
  }

  /** The steps written so far, read back as recovery would read them (for an in-process rollback). */
  async readSteps(): Promise<ReadStep[]> {
    const f = parseJournalText(this.id, this.file, await readFile(this.file, 'utf8'));
    if (f.kind !== 'begun') throw new Error(`${this.file}: cannot read back the journal being written (${f.kind})`);
    return f.steps;
  }

  /** The operation is over (succeeded, or failed and cleaned up): forget it. */
  async end(): Promise<void> {
    atCrashPoint('end', 'journal');
    await this.fh.close();
    await unlink(this.file);
    await fsyncDir(this.dir);
  }

  /** Stop writing but leave the file for recovery (the operation could not be cleaned up). */
  async abandon(): Promise<void> {
    await this.fh.close();
  }
}
