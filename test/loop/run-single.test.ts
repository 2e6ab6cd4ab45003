import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSingle } from '../../src/loop/run-single.js';
import { realTimers, MAX_TIMEOUT_MS } from '../../src/loop/timers.js';
import { createLogger } from '../../src/loop/logger.js';
import { FakeTimers } from './fake-timers.js';
import { FakeLoader, FakeReconciler, invalid, memoryLogger, testConfig, testPolicy, valid } from './helpers.js';

test('run --once: exit 0 when the run is ok, 1 when it failed or no valid set exists; status file written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-once-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = testConfig({ stateDir: join(dir, 'state') });
  const run = async (load: ReturnType<typeof valid>, ok = true) => {
    const timers = new FakeTimers(Date.parse('2026-03-10T10:00:00Z'));
    const rec = new FakeReconciler(timers);
    const r = ok ? rec.fn : async (o: Parameters<typeof rec.fn>[0]) => ({ ...(await rec.fn(o)), ok: false, error: 'create x on y: boom' });
    const code = await runSingle({ config, reconciler: r, loadPolicies: new FakeLoader(load).fn, log: memoryLogger(), timers, signals: new EventEmitter() });
    return { code, calls: rec.calls.length, status: JSON.parse(await readFile(join(dir, 'state', '.status.json'), 'utf8')) };
  };
  const a = await run(valid([testPolicy('h', '0 * * * *')]));
  assert.deepEqual([a.code, a.calls, a.status.state, a.status.lastRun.result], [0, 1, 'stopped', 'ok']);
  const b = await run(valid([testPolicy('h', '0 * * * *')]), false);
  assert.deepEqual([b.code, b.status.lastRun.result, b.status.lastRun.message], [1, 'failed', 'create x on y: boom']);
  const c = await run(invalid(['/p/h.yaml:1:1: bad']));
  assert.deepEqual([c.code, c.calls, c.status.lastRun.result], [1, 0, 'skipped']);
});

test('real timers: a delay beyond 2^31-1 ms is re-armed in chunks, not fired at once', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  try {
    const timers = realTimers();
    let fired = 0;
    timers.setTimeout(() => fired++, MAX_TIMEOUT_MS * 2 + 5);
    mock.timers.tick(1);
    assert.equal(fired, 0);
    mock.timers.tick(MAX_TIMEOUT_MS);
    assert.equal(fired, 0);
    mock.timers.tick(MAX_TIMEOUT_MS);
    assert.equal(fired, 0);
    mock.timers.tick(3);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);
    const h = timers.setTimeout(() => fired++, MAX_TIMEOUT_MS + 10);
    mock.timers.tick(MAX_TIMEOUT_MS);
    timers.clearTimeout(h);
    mock.timers.tick(100);
    assert.equal(fired, 1);
  } finally {
    mock.timers.reset();
  }
});

test('logger: JSON lines off a terminal, readable text on one', () => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const now = () => Date.parse('2026-03-10T10:00:00Z');
  createLogger(sink, { json: true, now }).warn('reconcile finished', { result: 'failed', actions: { ok: 1 } });
  createLogger(sink, { json: false, now }).info('policy set loaded', { policies: 2, revision: null, msg2: 'a b' });
  assert.equal(
    out,
    '{"time":"2026-03-10T10:00:00.000Z","level":"warn","msg":"reconcile finished","result":"failed","actions":{"ok":1}}\n' +
      '2026-03-10T10:00:00.000Z info  policy set loaded policies=2 revision=null msg2="a b"\n',
  );
});
