import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OperationJournal, readPendingOps, forgetPendingOp, type JournalOp } from '../../src/apply/journal.js';

const op: JournalOp = { action: 'create', domainKey: 'name-web-1', domainName: 'web-1', snapshot: 's1', backend: 'qdisk', detail: { type: 'external' } };

async function tempState(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a finished operation leaves nothing; an unfinished one is read back step by step', async (t) => {
  const state = await tempState(t);
  const ok = await OperationJournal.begin(state, op);
  await ok.intent('link-frozen', { leaf: '/i/a.qcow2' });
  await ok.done('link-frozen');
  await ok.end();
  assert.deepEqual(await readPendingOps(state), []);

  const j = await OperationJournal.begin(state, op);
  await j.intent('create-overlay', { path: '/i/a.new' });
  await j.done('create-overlay');
  await j.intent('switch-leaf', { from: '/i/a.new', to: '/i/a.qcow2' });
  await j.abandon();
  assert.equal((await stat(join(state, '.journal'))).mode & 0o777, 0o700);
  assert.equal((await stat(j.file)).mode & 0o777, 0o600);
  const pending = await readPendingOps(state);
  assert.equal(pending.length, 1);
  assert.deepEqual(pending[0]!.op, op);
  assert.deepEqual(pending[0]!.steps, [
    { step: 'create-overlay', detail: { path: '/i/a.new' }, done: true },
    { step: 'switch-leaf', detail: { from: '/i/a.new', to: '/i/a.qcow2' }, done: false },
  ]);
  await appendFile(j.file, '{"t":"done","st'); // a torn append
  assert.deepEqual((await readPendingOps(state))[0]!.steps.map((s) => s.done), [true, false]);
  await forgetPendingOp(pending[0]!);
  assert.deepEqual(await readdir(join(state, '.journal')), []);
});

test('the crash hook kills the process right after the named intent is durable', async (t) => {
  const state = await tempState(t);
  const here = dirname(fileURLToPath(import.meta.url));
  const journalJs = join(here, '../../src/apply/journal.js');
  const script = `
    const { OperationJournal } = await import(${JSON.stringify(journalJs)});
    const j = await OperationJournal.begin(${JSON.stringify(state)}, ${JSON.stringify(op)});
    for (const s of ['a', 'b', 'b', 'c']) { await j.intent(s, {}); await j.done(s); }
    await j.end();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, XENSNAP_TEST_CRASH_AT: 'b#2' } });
  assert.equal(r.signal, 'SIGKILL');
  const pending = await readPendingOps(state);
  assert.deepEqual(pending[0]!.steps, [
    { step: 'a', detail: {}, done: true },
    { step: 'b', detail: {}, done: true },
    { step: 'b', detail: {}, done: false },
  ]);
});
