import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconcileLoop, type LoopDeps } from '../../src/loop/reconcile-loop.js';
import type { DaemonStatus } from '../../src/loop/daemon-status.js';
import type { ReconcileOptions, ReconcileReport } from '../../src/loop/reconciler.js';
import { FakeTimers, flush } from './fake-timers.js';
import { FakeLoader, FakeReconciler, emptyReport, invalid, memoryLogger, testConfig, testPolicy, valid } from './helpers.js';

const T = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

function setup(start: string, load = valid([testPolicy('hourly', '0 * * * *')]), over: Partial<LoopDeps> = {}) {
  const timers = new FakeTimers(T(start));
  const rec = new FakeReconciler(timers);
  const loader = new FakeLoader(load);
  const log = memoryLogger();
  const states: string[] = [];
  const loop = new ReconcileLoop({
    config: testConfig(),
    timers,
    reconciler: rec.fn,
    loadPolicies: loader.fn,
    log,
    pid: 4242,
    onStatus: (s: DaemonStatus) => states.push(s.state),
    ...over,
  });
  return { timers, rec, loader, log, loop, states };
}

test('wakes exactly at the next slot, not a millisecond before, and passes the slot as now', async () => {
  const { timers, rec, loop } = setup('2026-03-10T10:59:59.500Z');
  loop.start();
  await flush();
  assert.equal(rec.calls.length, 1);
  assert.equal(rec.calls[0]!.now.toISOString(), '2026-03-10T10:59:59.500Z');
  assert.deepEqual(loop.status.nextWake, { at: '2026-03-10T11:00:00.000Z', reason: 'slot', policy: 'hourly' });
  assert.deepEqual(timers.pending().map(iso), ['2026-03-10T11:00:00.000Z']);
  await timers.advanceTo(T('2026-03-10T10:59:59.999Z'));
  assert.equal(rec.calls.length, 1);
  await timers.advanceTo(T('2026-03-10T11:00:00.000Z'));
  assert.equal(rec.calls.length, 2);
  assert.equal(rec.calls[1]!.now.toISOString(), '2026-03-10T11:00:00.000Z');
  assert.deepEqual(loop.status.lastRun!.triggers, ['slot']);
  // the 15 min resync comes before the 12:00 slot
  assert.deepEqual(timers.pending().map(iso), ['2026-03-10T11:15:00.000Z']);
  assert.equal(loop.state, 'idle');
});

test('resync wakes when no slot comes first; one timer at a time', async () => {
  const { timers, rec, loop } = setup('2026-03-10T10:00:00Z', valid([testPolicy('yearly', '0 0 1 1 *')]));
  loop.start();
  await flush();
  assert.deepEqual(loop.status.nextWake, { at: '2026-03-10T10:15:00.000Z', reason: 'resync', policy: null });
  assert.equal(timers.pending().length, 1);
  await timers.advanceTo(T('2026-03-10T10:45:00Z'));
  assert.deepEqual(rec.calls.map((c) => c.now.toISOString().slice(11, 16)), ['10:00', '10:15', '10:30', '10:45']);
  assert.deepEqual(loop.status.lastRun!.triggers, ['resync']);
  assert.deepEqual(timers.pending().map(iso), ['2026-03-10T11:00:00.000Z']);
});

test('a slot that passes during a long run wakes at once after it, with the later now', async () => {
  const { timers, rec, loop } = setup('2026-03-10T10:59:00Z');
  rec.auto = false;
  loop.start();
  await flush();
  timers.t = T('2026-03-10T11:00:30Z'); // the run takes 90 s
  rec.release();
  await flush();
  await timers.advanceBy(0);
  assert.equal(rec.calls.length, 2);
  assert.equal(rec.calls[1]!.now.toISOString(), '2026-03-10T11:00:30.000Z');
  rec.release();
  await flush();
  assert.deepEqual(loop.status.nextWake, { at: '2026-03-10T11:15:30.000Z', reason: 'resync', policy: null });
});

test('DST: a Europe/Paris daily 02:30 wakes at 01:00Z (the end of the gap) on the spring-forward day, then 00:30Z', async () => {
  const { timers, rec, loop } = setup('2026-03-28T12:00:00Z', valid([testPolicy('night', '30 2 * * *', 'Europe/Paris')]), {
    config: testConfig({ resyncIntervalMs: 7 * 24 * 3_600_000 }),
  });
  loop.start();
  await flush();
  await timers.advanceTo(T('2026-03-30T12:00:00Z'));
  assert.deepEqual(rec.calls.map((c) => c.now.toISOString()), ['2026-03-28T12:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
});

test('triggers during a run coalesce into exactly one more run', async () => {
  const { timers, rec, loop, states } = setup('2026-03-10T10:00:00Z', valid([testPolicy('y', '0 0 1 1 *')]), { config: testConfig({ resyncIntervalMs: 3_600_000 }) });
  rec.auto = false;
  loop.start();
  await flush();
  assert.equal(loop.state, 'reconciling');
  loop.request('policy-change');
  loop.request('policy-change');
  loop.request('resync');
  loop.request('policy-change');
  await timers.advanceBy(30_000);
  rec.release();
  await flush();
  assert.equal(rec.calls.length, 2);
  assert.equal(rec.inFlight, 1);
  assert.equal(loop.state, 'reconciling');
  rec.release();
  await flush();
  assert.equal(rec.calls.length, 2);
  assert.deepEqual(loop.status.lastRun!.triggers, ['policy-change', 'resync']);
  assert.equal(loop.state, 'idle');
  // per run: its start, then again once the policy set is loaded
  assert.deepEqual(states, ['reconciling', 'reconciling', 'reconciling', 'reconciling', 'idle']);
  await timers.advanceTo(T('2026-03-10T10:59:59Z'));
  assert.equal(rec.calls.length, 2);
});

test('keep-last-good: an invalid set is reported and the last valid one stays in force', async () => {
  const a = testPolicy('a', '0 * * * *');
  const b = testPolicy('b', '0 * * * *');
  const { loader, rec, loop, log } = setup('2026-03-10T10:00:00Z', valid([a], 'rev1'));
  loop.start();
  await flush();
  loader.next = invalid(['/p/a.yaml:3:1: unknown key "spek"'], 'rev2');
  loop.request('policy-change');
  await flush();
  assert.equal(rec.calls.length, 2);
  assert.equal(rec.calls[1]!.policies[0], a);
  assert.deepEqual(loop.status.policySet, {
    valid: false,
    count: 0,
    revision: 'rev2',
    diagnostics: ['/p/a.yaml:3:1: unknown key "spek"'],
    inForce: { count: 1, revision: 'rev1', loadedAt: '2026-03-10T10:00:00.000Z' },
  });
  const msg = 'policy set is invalid (1 problems): keeping the last valid set (1 policies)';
  assert.deepEqual(loop.status.lastErrors, [{ at: '2026-03-10T10:00:00.000Z', message: `${msg}; first: /p/a.yaml:3:1: unknown key "spek"` }]);
  assert.deepEqual(
    log.lines.filter((l) => l.level === 'error'),
    [{ level: 'error', msg, fields: { diagnostics: ['/p/a.yaml:3:1: unknown key "spek"'], revision: 'rev2' } }],
  );
  assert.equal(loop.status.lastRun!.result, 'ok');
  loader.next = valid([b], 'rev3');
  loop.request('policy-change');
  await flush();
  assert.deepEqual(rec.calls[2]!.policies, [b]);
  assert.equal(loop.status.policySet.valid, true);
});

test('no valid set at start: nothing is applied and the status says why', async () => {
  const { rec, loop, timers } = setup('2026-03-10T10:00:00Z', invalid(['/p/x.yaml:1:1: not a mapping']));
  loop.start();
  await flush();
  assert.equal(rec.calls.length, 0);
  assert.deepEqual(loop.status.lastRun, {
    at: '2026-03-10T10:00:00.000Z',
    finishedAt: '2026-03-10T10:00:00.000Z',
    result: 'skipped',
    durationMs: 0,
    triggers: ['startup'],
    actions: { ok: 0, failed: 0, skipped: 0 },
    heldBack: 0,
    recovered: 0,
    skippedDomains: [],
    message: 'no valid policy set has been loaded yet: nothing is applied',
    warnings: [],
  });
  assert.equal(loop.status.policySet.inForce, null);
  assert.deepEqual(loop.status.nextWake, { at: '2026-03-10T10:15:00.000Z', reason: 'resync', policy: null });
  await timers.advanceBy(15 * 60_000);
  assert.equal(rec.calls.length, 0);
});

test('a loader or reconciler that throws is an error run, and the loop goes on', async () => {
  const { rec, loop } = setup("2026-03-10T10:00:00Z", valid([testPolicy("a", "0 * * * *")]));
  const boom: typeof rec.fn = async () => {
    throw new Error('qmp socket vanished');
  };
  (loop as unknown as { deps: LoopDeps }).deps.reconciler = boom;
  loop.start();
  await flush();
  assert.equal(loop.status.lastRun!.result, 'error');
  assert.equal(loop.status.lastRun!.message, 'qmp socket vanished');
  assert.equal(loop.state, 'idle');
  assert.equal(loop.status.lastErrors[0]!.message, 'qmp socket vanished');
});

test('reload re-reads the host config (keeping stateDir and listen) and the policies', async () => {
  let reloads = 0;
  const fresh = testConfig({ resyncIntervalMs: 60_000, stateDir: '/elsewhere', policyDir: '/new/policies' });
  const changed: string[] = [];
  const { rec, loop, loader, log } = setup('2026-03-10T10:00:00Z', valid([testPolicy('y', '0 0 1 1 *')]), {
    reloadConfig: async () => {
      reloads++;
      return fresh;
    },
    onConfig: (c, prev) => changed.push(`${prev.policyDir} -> ${c.policyDir}`),
  });
  loop.start();
  await flush();
  loop.reload();
  await flush();
  assert.equal(reloads, 1);
  assert.equal(loader.calls, 2);
  assert.equal(rec.calls[1]!.config.policyDir, '/new/policies');
  assert.equal(rec.calls[1]!.config.stateDir, '/nonexistent/state');
  assert.deepEqual(changed, ['/nonexistent/policies -> /new/policies']);
  assert.deepEqual(loop.status.nextWake, { at: '2026-03-10T10:01:00.000Z', reason: 'resync', policy: null });
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg === 'config stateDir changed: takes effect after a restart'));
});

test('an invalid config on reload keeps the previous one', async () => {
  const { rec, loop } = setup('2026-03-10T10:00:00Z', valid([]), {
    reloadConfig: async () => {
      throw new Error('invalid host config /etc/xensnap/config.yaml');
    },
  });
  loop.start();
  await flush();
  loop.reload();
  await flush();
  assert.equal(rec.calls.length, 2);
  assert.equal(rec.calls[1]!.config.policyDir, '/nonexistent/policies');
  assert.equal(loop.status.lastErrors[0]!.message, 'host config reload failed, keeping the previous config: invalid host config /etc/xensnap/config.yaml');
});

test('graceful stop: the in-flight run is aborted and awaited, nothing runs after', async () => {
  const { timers, loop, states } = setup('2026-03-10T10:00:00Z');
  const seen: ReconcileOptions[] = [];
  let finished = false;
  (loop as unknown as { deps: LoopDeps }).deps.reconciler = (opts) => {
    seen.push(opts);
    return new Promise<ReconcileReport>((resolve) => {
      opts.signal!.addEventListener('abort', () => {
        // the executor finishes its current step first
        setTimeout(() => {
          finished = true;
          resolve({ ...emptyReport(opts, timers.now(), timers.now()), ok: false, error: 'stopped before 2 actions' });
        }, 20);
      });
    });
  };
  loop.start();
  await flush();
  assert.equal(seen[0]!.signal!.aborted, false);
  loop.request('policy-change');
  await loop.stop();
  assert.equal(finished, true);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.signal!.aborted, true);
  assert.equal(loop.state, 'stopped');
  assert.deepEqual(states, ['reconciling', 'reconciling', 'stopping', 'stopped']);
  assert.deepEqual(timers.pending(), []);
  assert.equal(loop.status.lastRun!.result, 'failed');
  assert.equal(loop.status.nextWake, null);
  loop.request('slot');
  await flush();
  assert.equal(seen.length, 1);
});
