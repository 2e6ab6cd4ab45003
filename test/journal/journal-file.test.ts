import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, stat, appendFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OperationJournal } from '../../src/journal/operation-journal.js';
import { forgetJournal, readJournalFiles } from '../../src/journal/read-journals.js';
import { parseCrashPoint } from '../../src/journal/crash-points.js';
import { stepLabel, stepOwner } from '../../src/journal/step-names.js';

const op = { action: 'create', domainKey: 'name-web-1', domainName: 'web-1', snapshot: 's1', backend: 'qdisk', detail: { type: 'external' } };

async function tempState(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a finished operation leaves nothing; an unfinished one is read back step by step', async (t) => {
  const state = await tempState(t);
  const ok = await OperationJournal.begin(state, op);
  await ok.intent('blktap.link-frozen', { vdev: 'xvda', leaf: '/i/a.vhd' });
  await ok.done('blktap.link-frozen');
  await ok.end();
  assert.deepEqual(await readJournalFiles(state), []);

  const j = await OperationJournal.begin(state, op);
  await j.intent('qdisk-online.create-overlay', { vdev: 'xvda', path: '/i/a.new' });
  await j.done('qdisk-online.create-overlay');
  await j.intent('qdisk-online.rename-overlay', { vdev: 'xvda', from: '/i/a.new', to: '/i/a.qcow2' });
  await j.abandon();
  assert.equal((await stat(join(state, '.journal'))).mode & 0o777, 0o700);
  assert.equal((await stat(j.file)).mode & 0o777, 0o600);
  const files = await readJournalFiles(state);
  assert.equal(files.length, 1);
  const f = files[0]!;
  assert.equal(f.kind, 'begun');
  if (f.kind !== 'begun') return;
  assert.equal(f.version, 2);
  assert.deepEqual(f.op, op);
  assert.deepEqual(f.steps, [
    { step: 'qdisk-online.create-overlay', detail: { vdev: 'xvda', path: '/i/a.new' }, done: true },
    { step: 'qdisk-online.rename-overlay', detail: { vdev: 'xvda', from: '/i/a.new', to: '/i/a.qcow2' }, done: false },
  ]);
  await appendFile(j.file, '{"t":"done","st'); // a torn append
  const again = (await readJournalFiles(state))[0]!;
  assert.deepEqual(again.kind === 'begun' && again.steps.map((s) => s.done), [true, false]);
  await forgetJournal(f.file);
  assert.deepEqual(await readdir(join(state, '.journal')), []);
});

test('a file without a complete begin line never began; a broken line in the middle makes it unreadable', async (t) => {
  const state = await tempState(t);
  await mkdir(join(state, '.journal'), { recursive: true });
  await writeFile(join(state, '.journal', 'a.jsonl'), '{"t":"beg');
  await writeFile(join(state, '.journal', 'b.jsonl'), `${JSON.stringify({ t: 'begin', v: 2, op, at: 'x' })}\nnot json\n{"t":"done","step":"x"}\n`);
  await writeFile(join(state, '.journal', 'c.jsonl'), `${JSON.stringify({ t: 'begin', v: 2, op, at: 'x' })}\n{"t":"done","step":"record.write"}\n`);
  const files = await readJournalFiles(state);
  assert.deepEqual(files.map((f) => [f.kind, f.kind === 'unreadable' ? f.problem : '']), [
    ['never-begun', ''],
    ['unreadable', 'line 2 is not JSON'],
    ['unreadable', 'line 2 closes step record.write, which is not open'],
  ]);
});

test('step names: owner and label', () => {
  assert.equal(stepOwner('blktap.link-frozen'), 'blktap');
  assert.equal(stepOwner('qdisk-offline.external-link'), 'qdisk-offline');
  assert.equal(stepOwner('revert-disk:xvda'), null, 'the old unprefixed names belong to no owner');
  assert.equal(stepOwner('nobody.step'), null);
  assert.equal(stepLabel('blktap.link-frozen', { vdev: 'xvdb' }), 'blktap.link-frozen:xvdb');
  assert.equal(stepLabel('record.write', { snapshot: 's1' }), 'record.write');
  assert.deepEqual(parseCrashPoint('effect:blktap.link-frozen:xvdb#2'), { phase: 'effect', label: 'blktap.link-frozen:xvdb', nth: 2 });
  assert.deepEqual(parseCrashPoint('record.write'), { phase: 'intent', label: 'record.write', nth: 1 });
});

const journalJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/journal/operation-journal.js');

function runScript(state: string, crashAt: string) {
  const script = `
    const { OperationJournal } = await import(${JSON.stringify(journalJs)});
    const j = await OperationJournal.begin(${JSON.stringify(state)}, ${JSON.stringify(op)});
    for (const v of ['xvda', 'xvdb', 'xvdb']) { await j.intent('blktap.swap-leaf', { vdev: v }); await j.done('blktap.swap-leaf'); }
    await j.end();`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, XENSNAP_TEST_CRASH_AT: crashAt } });
}

test('the crash hook kills right after the named intent is durable, or after the effect before done', async (t) => {
  const atIntent = await tempState(t);
  assert.equal(runScript(atIntent, 'blktap.swap-leaf:xvdb#2').signal, 'SIGKILL');
  const a = (await readJournalFiles(atIntent))[0]!;
  assert.deepEqual(a.kind === 'begun' && a.steps.map((s) => [s.detail.vdev, s.done]), [['xvda', true], ['xvdb', true], ['xvdb', false]]);

  const atEffect = await tempState(t);
  assert.equal(runScript(atEffect, 'effect:blktap.swap-leaf:xvda#1').signal, 'SIGKILL');
  const b = (await readJournalFiles(atEffect))[0]!;
  assert.deepEqual(b.kind === 'begun' && b.steps.map((s) => [s.detail.vdev, s.done]), [['xvda', false]]);

  const never = await tempState(t);
  const r = runScript(never, 'effect:blktap.swap-leaf:xvdc#1');
  assert.equal(r.signal, null);
  assert.equal(r.status, 0);
});
