// issue 15's "Why", replayed on the lab: what used to wedge db-1 for good now works, runs under
// the lock after recovery, and leaves nothing stuck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useLab } from '../util/lab-fixture.js';
import { cli, journalFiles, spawnCli, treeState } from '../cli/one-off-helpers.js';
import { saveReference } from '../util/image-refs.js';
import { sameBytes } from '../hypervisor/live-vm.js';
import { acquireInstanceLock } from '../../src/apply/instance-lock.js';

const fx = useLab('xensnap-why-');
const img = (n: string) => join(fx.lab.dir, 'images', n);
const state = () => join(fx.lab.dir, 'state');

test('create i1 (internal), create e1 (external), revert i1: reverted (the tag now lives below the leaf); create, delete and apply go on working', async () => {
  const c = fx.lab.qemuConfig;
  assert.equal((await cli(c, 'create', 'db-1', '--type', 'internal', '-n', 'i1')).code, 0);
  for (const v of ['xvda', 'xvdb']) await saveReference(img(`db-1-${v}.qcow2`), 'qcow2', join(fx.tmp, `i1-${v}.raw`), 'i1');
  assert.equal((await cli(c, 'create', 'db-1', '-n', 'e1')).code, 0);
  const r = await cli(c, 'revert', 'db-1', 'i1', '--yes');
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.match(r.out, /\nreverted db-1 to i1; the previous state is snapshot (pre-revert-\d{8}T\d{6}Z); db-1 is shut off\n$/);
  for (const v of ['xvda', 'xvdb']) assert.ok(await sameBytes(img(`db-1-${v}.qcow2`), 'qcow2', join(fx.tmp, `i1-${v}.raw`)), `${v} shows i1`);
  assert.deepEqual(await journalFiles(state()), []);
  const listed = JSON.parse((await cli(c, 'list', 'db-1', '--json')).out) as { snapshots: { name: string; managed: boolean }[] };
  assert.deepEqual(listed.snapshots.filter((s) => s.managed).map((s) => s.name.replace(/\d{8}T\d{6}Z$/, 'TIME')), ['i1', 'e1', 'pre-revert-TIME']);
  assert.equal((await cli(c, 'create', 'db-1', '-n', 'after')).code, 0);
  assert.equal((await cli(c, 'delete', 'db-1', 'after', '--yes')).code, 0);
  const applied = await cli(c, 'apply', '--yes');
  assert.equal(applied.code, 0, applied.out + applied.err);
  assert.match(applied.out, /\nApply: 3 succeeded, 0 failed, 0 skipped\.\n$/);
});

test('revert takes the instance lock and recovers interrupted work first', async () => {
  const c = fx.lab.qemuConfig;
  assert.equal((await cli(c, 'create', 'db-1', '-n', 'e9')).code, 0);
  const lock = await acquireInstanceLock(state(), 'someone else');
  const before = await treeState(join(fx.lab.dir, 'images'));
  try {
    const busy = await cli(c, 'revert', 'db-1', 'e9', '--yes');
    assert.equal(busy.code, 1);
    assert.equal(busy.err, `another xensnap (pid ${process.pid}) holds the lock ${join(state(), '.lock')}\n`);
  } finally {
    await lock.release();
  }
  assert.deepEqual(await treeState(join(fx.lab.dir, 'images')), before);
  const k = await spawnCli(c, ['create', 'db-1', '-n', 'c2'], { XENSNAP_TEST_CRASH_AT: 'qdisk-offline.external-switch:xvda' });
  assert.equal(k.signal, 'SIGKILL');
  const r = await cli(c, 'revert', 'db-1', 'e9', '--yes');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^recovered: create of c2 on db-1: rolled-back/);
  assert.deepEqual(await journalFiles(state()), []);
  assert.deepEqual((await readdir(join(fx.lab.dir, 'images'))).filter((f) => f.includes('@c2')), []);
});
