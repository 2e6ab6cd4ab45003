import { FormatError } from '../errors.js';
import { JOURNAL_FORMAT_VERSION } from '../journal/operation-journal.js';
import { forgetJournal, readJournalFiles } from '../journal/read-journals.js';
import type { ReadStep } from '../journal/step-detail.js';
import { opIdentity, parseJournalOp, type JournalOp } from './journal-ops.js';
import { operationWords, reasonOf, type UnresolvedWork } from './unresolved-work.js';

/** An operation that began and never finished, typed: what recovery works from. */
export interface PendingOp {
  id: string;
  file: string;
  startedAt: string;
  op: JournalOp;
  steps: ReadStep[];
}

/**
 * Every journal left in the state dir: the typed operations, and those that cannot be trusted
 * (unreadable, another format version, an unknown operation) as unresolved work naming their
 * file. A file with no complete begin line is removed: no step of it ever ran.
 */
export async function loadPendingWork(stateDir: string, opts: { removeEmpty?: boolean } = {}): Promise<{ pending: PendingOp[]; broken: UnresolvedWork[]; removed: string[] }> {
  const pending: PendingOp[] = [];
  const broken: UnresolvedWork[] = [];
  const removed: string[] = [];
  for (const f of await readJournalFiles(stateDir)) {
    if (f.kind === 'never-begun') {
      if (opts.removeEmpty !== false) await forgetJournal(f.file);
      removed.push(f.file);
      continue;
    }
    if (f.kind === 'unreadable') {
      broken.push({ journal: f.file, domainKey: null, domainName: null, operation: 'unreadable journal', reason: f.problem });
      continue;
    }
    const who = opIdentity(f.op);
    const operation = operationWords(who.action, who.snapshot);
    try {
      if (f.version !== JOURNAL_FORMAT_VERSION) throw new FormatError(f.file, `written in journal format ${JSON.stringify(f.version ?? 1)}; this xensnap reads format ${JOURNAL_FORMAT_VERSION}`);
      pending.push({ id: f.id, file: f.file, startedAt: f.startedAt, op: parseJournalOp(f.op, f.file), steps: f.steps });
    } catch (err) {
      broken.push({ journal: f.file, domainKey: who.domainKey, domainName: who.domainName, operation, reason: reasonOf(err, f.file) });
    }
  }
  return { pending, broken, removed };
}
