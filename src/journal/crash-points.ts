import { appendFileSync } from 'node:fs';

/**
 * Where a journal can be killed: right after a step's intent is durable (`intent`, before the
 * step does anything), and right after the step's effect but before its `done` is written
 * (`effect`). `middle` is for long steps (merges, copies) that offer a point inside; `end:journal`
 * is after the last `done`, before the journal file is removed.
 */
export type CrashPhase = 'intent' | 'effect' | 'middle' | 'end';

const PHASES: readonly CrashPhase[] = ['intent', 'effect', 'middle', 'end'];

/** A parsed XENSNAP_TEST_CRASH_AT: `[<phase>:]<label>[#N]`, phase `intent` by default, N 1. */
export interface CrashPoint {
  phase: CrashPhase;
  label: string;
  nth: number;
}

export function parseCrashPoint(text: string): CrashPoint {
  let phase: CrashPhase = 'intent';
  let rest = text;
  const colon = text.indexOf(':');
  if (colon > 0 && (PHASES as readonly string[]).includes(text.slice(0, colon))) {
    phase = text.slice(0, colon) as CrashPhase;
    rest = text.slice(colon + 1);
  }
  const hash = rest.lastIndexOf('#');
  const nth = hash >= 0 ? Number(rest.slice(hash + 1)) : 1;
  return { phase, label: hash >= 0 ? rest.slice(0, hash) : rest, nth: Number.isInteger(nth) && nth > 0 ? nth : 1 };
}

/** The crash point text for a phase and a label (`effect:blktap.link-frozen:xvdb#2`). */
export function crashPointText(phase: CrashPhase, label: string, nth = 1): string {
  return `${phase}:${label}#${nth}`;
}

const counts = new Map<CrashPhase, number>();

/**
 * Test-only, in-process: called at every crash point before the environment's. A test that runs
 * xensnap in its own process sets it to fail a step there (throw) or change the world (fill a
 * file system); null in production.
 */
export const testHooks: { at: ((phase: CrashPhase, label: string) => void) | null } = { at: null };

/**
 * Test-only hooks, called by the journal at each crash point of a step. With
 * XENSNAP_TEST_TRACE_STEPS=<file>, every step label is appended to that file at its intent (so a
 * test can list all the points of a run). With XENSNAP_TEST_CRASH_AT=<point>, the process
 * SIGKILLs itself at the N-th time that point is reached. `testHooks.at` runs first. Unset in
 * production, each call costs a null check and two environment lookups.
 */
export function atCrashPoint(phase: CrashPhase, label: string): void {
  testHooks.at?.(phase, label);
  const trace = process.env.XENSNAP_TEST_TRACE_STEPS;
  if (trace && phase === 'intent') appendFileSync(trace, `${label}\n`);
  const want = process.env.XENSNAP_TEST_CRASH_AT;
  if (!want) return;
  const p = parseCrashPoint(want);
  if (p.phase !== phase || p.label !== label) return;
  const n = (counts.get(phase) ?? 0) + 1;
  counts.set(phase, n);
  if (n === p.nth) process.kill(process.pid, 'SIGKILL');
}
