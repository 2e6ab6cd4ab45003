import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../util/atomic-file.js';
import { JOURNAL_DIR } from './operation-journal.js';
import type { ReadStep } from './step-detail.js';

/**
 * One file of the journal folder as read back. `begun`: a complete begin line and the steps after
 * it (the operation as yet untyped: recovery checks it). `never-begun`: no complete begin line, so
 * no step ever ran (begin is durable before the first intent). `unreadable`: a complete line that
 * is not a journal line; nothing in it can be trusted.
 */
export type JournalFile =
  | { kind: 'begun'; id: string; file: string; version: unknown; startedAt: string; op: unknown; steps: ReadStep[] }
  | { kind: 'never-begun'; id: string; file: string }
  | { kind: 'unreadable'; id: string; file: string; problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one file's text; a torn last line (crash mid-append) is ignored. */
export function parseJournalText(id: string, file: string, text: string): JournalFile {
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // what follows the last newline is empty, or a torn append
  const parsed: Record<string, unknown>[] = [];
  for (const [i, line] of complete.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return { kind: 'unreadable', id, file, problem: `line ${i + 1} is not JSON` };
    }
    if (!isObject(v) || typeof v.t !== 'string') return { kind: 'unreadable', id, file, problem: `line ${i + 1} is not a journal line` };
    parsed.push(v);
  }
  const [begin, ...rest] = parsed;
  if (!begin) return { kind: 'never-begun', id, file };
  if (begin.t !== 'begin' || !isObject(begin.op)) return { kind: 'unreadable', id, file, problem: 'line 1 is not a begin line' };
  const steps: ReadStep[] = [];
  for (const [i, l] of rest.entries()) {
    if (l.t === 'intent' && typeof l.step === 'string' && isObject(l.detail)) steps.push({ step: l.step, detail: l.detail, done: false });
    else if (l.t === 'done' && typeof l.step === 'string') {
      const open = [...steps].reverse().find((s) => s.step === l.step && !s.done);
      if (!open) return { kind: 'unreadable', id, file, problem: `line ${i + 2} closes step ${l.step}, which is not open` };
      open.done = true;
    } else return { kind: 'unreadable', id, file, problem: `line ${i + 2} is not an intent or done line` };
  }
  return { kind: 'begun', id, file, version: begin.v, startedAt: typeof begin.at === 'string' ? begin.at : '', op: begin.op, steps };
}

/** Reads every journal left behind, oldest first (ids start with the creation time). */
export async function readJournalFiles(stateDir: string): Promise<JournalFile[]> {
  const dir = join(stateDir, JOURNAL_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: JournalFile[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null; // ended meanwhile
      throw err;
    });
    if (text !== null) out.push(parseJournalText(name.replace(/\.jsonl$/, ''), file, text));
  }
  return out;
}

/** Removes a journal file once its work is resolved (or discarded by the operator). */
export async function forgetJournal(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await fsyncDir(join(file, '..'));
}
