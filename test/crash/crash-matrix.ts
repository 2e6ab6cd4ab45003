// The crash-injection matrix: for every named step an apply journals (create and delete), kill
// the apply there (XENSNAP_TEST_CRASH_AT), apply again (recovery first) and check convergence.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assertConverged, cli, guestWrites, onlyPolicy, slot, type World, type WorldDomain } from './crash-world.js';

/** `step#N` for every step in the trace, N counting earlier steps of the same name. */
export function crashPoints(trace: string[]): string[] {
  const seen = new Map<string, number>();
  return trace.map((s) => {
    const n = (seen.get(s) ?? 0) + 1;
    seen.set(s, n);
    return `${s}#${n}`;
  });
}

/**
 * Runs the matrix for one domain and snapshot type; returns the crash points it covered. Every
 * iteration is one hourly slot: the apply creates that slot's snapshot and deletes the previous.
 */
export async function runCrashMatrix(w: World, dom: WorldDomain, type: 'external' | 'internal', elsewhere: RegExp | null = null): Promise<string[]> {
  const policy = await onlyPolicy(w, dom.name, type);
  const label = `${dom.name} ${type}`;
  let k = 1;
  await guestWrites(dom, k);
  let s = slot(policy, k);
  const first = await cli(w, ['apply', '--yes', '--at', s.at]);
  assert.equal(first.code, 0, `${label}: first apply: ${first.stdout}${first.stderr}`);
  await assertConverged(w, dom, type, s.snapshot, s.at, `${label} first`);
  // one clean apply with tracing lists the steps of a create and a delete, in order
  const traceFile = join(w.dir, 'trace.txt');
  k++;
  await guestWrites(dom, k);
  s = slot(policy, k);
  const traced = await cli(w, ['apply', '--yes', '--at', s.at], { XENSNAP_TEST_TRACE_STEPS: traceFile });
  assert.equal(traced.code, 0, `${label}: traced apply: ${traced.stdout}${traced.stderr}`);
  const trace = (await readFile(traceFile, 'utf8')).split('\n').filter(Boolean);
  await rm(traceFile);
  assert.ok(trace.includes('record.write') && trace.includes('record.remove'), `${label}: trace ${trace.join(', ')}`);
  await assertConverged(w, dom, type, s.snapshot, s.at, `${label} traced`);
  const points = crashPoints(trace);
  const covered: string[] = [];
  const notReached: string[] = [];
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    if (elsewhere?.test(point)) continue; // crash-tested by a test of its own (see the caller)
    k++;
    await guestWrites(dom, k);
    s = slot(policy, k);
    const crashed = await cli(w, ['apply', '--yes', '--at', s.at], { XENSNAP_TEST_CRASH_AT: point, XENSNAP_TEST_TRACE_STEPS: traceFile });
    const ran = crashPoints((await readFile(traceFile, 'utf8').catch(() => '')).split('\n').filter(Boolean));
    await rm(traceFile, { force: true });
    // a backend may take another path this time (commit instead of rebase, by cost): its steps join the matrix
    for (const p of ran) if (!points.includes(p)) points.push(p);
    if (crashed.signal !== 'SIGKILL') {
      // the backend chose another path this time (e.g. commit instead of rebase by cost): the step never ran
      assert.ok(!ran.includes(point), `${label} crash at ${point}: reached but not killed: ${crashed.code} ${crashed.stdout}${crashed.stderr}`);
      assert.equal(crashed.code, 0, crashed.stdout + crashed.stderr);
      notReached.push(point);
      await assertConverged(w, dom, type, s.snapshot, s.at, `${label} (${point} not reached)`);
      continue;
    }
    covered.push(point);
    const again = await cli(w, ['apply', '--yes', '--at', s.at]);
    assert.equal(again.code, 0, `${label} after crash at ${point}: ${again.stdout}${again.stderr}`);
    assert.match(again.stdout, /^recovered: /m, `${label} after crash at ${point}: no recovery reported`);
    await assertConverged(w, dom, type, s.snapshot, s.at, `${label} crash at ${point}`);
    // recovery is idempotent: a third apply has nothing to recover and nothing to do
    const third = await cli(w, ['apply', '--yes', '--at', s.at]);
    assert.equal(third.code, 0);
    assert.doesNotMatch(third.stdout, /recovered:/);
  }
  const own = points.filter((p) => elsewhere?.test(p));
  assert.ok(covered.length >= (points.length - own.length) / 2, `${label}: only ${covered.length} of ${points.length} crash points reached`);
  return [...covered.map((p) => `${label}: ${p}`), ...notReached.map((p) => `${label}: ${p} (not on this run's path)`), ...own.map((p) => `${label}: ${p} (own test)`)];
}

/**
 * One crash on a fresh domain's first delete (the path taken only when the snapshot being deleted
 * is the chain's root, e.g. a rebase instead of a commit): snapshot, snapshot again with the kill
 * armed, apply again, converge.
 */
export async function crashFirstDelete(w: World, dom: WorldDomain, type: 'external' | 'internal', point: string, hour = 0): Promise<void> {
  const policy = await onlyPolicy(w, dom.name, type);
  await guestWrites(dom, hour + 1);
  const s1 = slot(policy, hour + 1);
  assert.equal((await cli(w, ['apply', '--yes', '--at', s1.at])).code, 0);
  await guestWrites(dom, hour + 2);
  const s2 = slot(policy, hour + 2);
  const crashed = await cli(w, ['apply', '--yes', '--at', s2.at], { XENSNAP_TEST_CRASH_AT: point });
  assert.equal(crashed.signal, 'SIGKILL', `${dom.name} ${type} crash at ${point}: not killed: ${crashed.stdout}${crashed.stderr}`);
  const again = await cli(w, ['apply', '--yes', '--at', s2.at]);
  assert.equal(again.code, 0, `${dom.name} after crash at ${point}: ${again.stdout}${again.stderr}`);
  assert.match(again.stdout, /^recovered: /m);
  await assertConverged(w, dom, type, s2.snapshot, s2.at, `${dom.name} ${type} first delete, crash at ${point}`);
}
