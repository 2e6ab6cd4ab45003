// Kill during create/delete (XENSNAP_TEST_CRASH_AT, see src/journal/crash-points.ts): the next command
// recovers through the same journal as apply, and the domain ends with no drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLab, destroyLab, type Lab } from '../../src/lab/create-lab.js';
import { assertCleanImage, sameContent, saveReference, writePattern } from '../util/image-refs.js';
import { chainOf, journalFiles, spawnCli } from './one-off-helpers.js';

const DB1 = '7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b';

let lab: Lab;
let img: (n: string) => string;
let state: string;
/** The qemu lab host without policies: `apply --yes` then only recovers. */
let bare: string;
test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-oneoff-crash-'));
  lab = await createLab(join(dir, 'lab'));
  img = (n) => join(lab.dir, 'images', n);
  state = join(lab.dir, 'state');
  await mkdir(join(lab.dir, 'no-policies'));
  bare = join(lab.dir, 'config-bare.yaml');
  const text = await readFile(lab.qemuConfig, 'utf8');
  await writeFile(bare, text.replace(/^policyDir: .*$/m, `policyDir: ${join(lab.dir, 'no-policies')}`));
});
test.after(async () => {
  await destroyLab(lab.dir);
  await rm(dirname(lab.dir), { recursive: true, force: true });
});

const crashAt = (step: string, ...args: string[]) => spawnCli(lab.qemuConfig, args, { XENSNAP_TEST_CRASH_AT: step });
const cli = (...args: string[]) => spawnCli(lab.qemuConfig, args);

/** db-1 as the lab made it: leaf over the foreign base, nothing of xensnap's, no journal. */
async function assertDb1Clean() {
  assert.deepEqual(await chainOf(img('db-1-xvda.qcow2')), [img('db-1-xvda.qcow2'), img('base-template.qcow2')]);
  assert.deepEqual(await chainOf(img('db-1-xvdb.qcow2')), [img('db-1-xvdb.qcow2')]);
  await assertCleanImage(img('db-1-xvda.qcow2'), 'qcow2');
  await assertCleanImage(img('db-1-xvdb.qcow2'), 'qcow2');
  assert.deepEqual(await journalFiles(state), []);
  const lr = await cli('list', 'db-1', '--json');
  assert.equal(lr.err, '');
  const l = JSON.parse(lr.out) as { snapshots: Array<{ name: string }>; findings: Array<{ message: string }> };
  assert.deepEqual(l.snapshots.map((s) => s.name), ['base-template']);
  // the foreign base is listed as a foreign snapshot and is no finding: nothing is to act on
  assert.deepEqual(l.findings.map((f) => f.message), []);
}

test('killed in the middle of an external create: the same create run again rolls it back first, then succeeds', async () => {
  const k = await crashAt('qdisk-offline.external-switch:xvda', 'create', 'db-1', '-n', 'c1');
  assert.equal(k.signal, 'SIGKILL');
  assert.equal((await journalFiles(state)).length, 1);
  const again = await cli('create', 'db-1', '-n', 'c1');
  assert.equal(again.err, '');
  assert.equal(again.code, 0);
  const lines = again.out.split('\n');
  assert.match(lines[0]!, /^recovered: create of c1 on db-1: /);
  assert.deepEqual(lines.slice(1), ['created snapshot c1 of db-1 (disk-only, external, disks xvda, xvdb)', '']);
  assert.deepEqual(await chainOf(img('db-1-xvda.qcow2')), [img('db-1-xvda.qcow2'), img('db-1-xvda@c1.qcow2'), img('base-template.qcow2')]);
  assert.deepEqual(await journalFiles(state), []);
  const d = await cli('delete', 'db-1', 'c1', '--yes');
  assert.equal(d.code, 0, d.err);
  await assertDb1Clean();
});

test('killed after the images were made but before the record: apply resolves it one way or the other; no drift', async () => {
  const k = await crashAt('record.write', 'create', 'db-1', '-n', 'c2');
  assert.equal(k.signal, 'SIGKILL');
  const a = await spawnCli(bare, ['apply', '--yes', '--json']);
  assert.equal(a.err, '');
  assert.equal(a.code, 0);
  const j = JSON.parse(a.out) as { recovered: string[]; results: unknown[] };
  assert.equal(j.recovered.length, 1);
  assert.match(j.recovered[0]!, /^create of c2 on db-1: /);
  assert.deepEqual(j.results, []);
  assert.deepEqual(await journalFiles(state), []);
  // recovery may finish the create (the journal carries the record) or roll it back; either way
  // images and records agree, and a finished one is a manual snapshot
  const frozen = await access(img('db-1-xvda@c2.qcow2')).then(() => true, () => false);
  const record = await readFile(join(state, DB1, 'snapshotdata-c2.json'), 'utf8').then((t) => JSON.parse(t) as { policy: string | null; pinned: boolean }, () => null);
  assert.equal(frozen, record !== null, j.recovered[0]);
  if (record) {
    assert.deepEqual([record.policy, record.pinned], [null, false]);
    const l = await cli('list', 'db-1', '--json');
    assert.deepEqual((JSON.parse(l.out) as { findings: Array<{ message: string }> }).findings.map((f) => f.message), []);
    const d = await cli('delete', 'db-1', 'c2', '--yes');
    assert.equal(d.code, 0, d.err);
  }
  await assertDb1Clean();
});

test('killed in the middle of a delete merge, and before the record went: apply finishes the delete; the leaf keeps its data', async () => {
  for (const step of ['qdisk-offline.external-commit:xvda', 'record.remove']) {
    const c = await cli('create', 'db-1', '-n', 'd1');
    assert.equal(c.code, 0, c.err);
    await writePattern(img('db-1-xvda.qcow2'), 'qcow2', 0x5c, 3 << 20, 65536);
    const ref = join(lab.dir, 'd1.ref.raw');
    await saveReference(img('db-1-xvda.qcow2'), 'qcow2', ref);
    const k = await crashAt(step, 'delete', 'db-1', 'd1', '--yes');
    assert.equal(k.signal, 'SIGKILL', `${step}: exit ${k.code}: ${k.out}${k.err}`);
    const a = await spawnCli(bare, ['apply', '--yes', '--json']);
    assert.equal(a.err, '');
    assert.equal(a.code, 0);
    const j = JSON.parse(a.out) as { recovered: string[]; results: unknown[] };
    assert.equal(j.recovered.length, 1);
    assert.match(j.recovered[0]!, /^delete of d1 on db-1: /);
    assert.ok(await sameContent(img('db-1-xvda.qcow2'), 'qcow2', ref, 'raw'), `${step}: the leaf shows what it showed`);
    await rm(ref);
    await assertDb1Clean();
  }
});

test('killed inside the QMP transaction of a create on the running web-3: apply rolls it back; the domain runs on its own leaf', async () => {
  const k = await crashAt('qdisk-online.transaction', 'create', 'web-3', '-n', 'r1', '--disks', 'xvdb');
  assert.equal(k.signal, 'SIGKILL');
  const a = await spawnCli(bare, ['apply', '--yes', '--json']);
  assert.equal(a.err, '');
  assert.equal(a.code, 0);
  const j = JSON.parse(a.out) as { recovered: string[] };
  assert.equal(j.recovered.length, 1);
  assert.match(j.recovered[0]!, /^create of r1 on web-3: /);
  assert.deepEqual(await journalFiles(state), []);
  await assert.rejects(access(img('web-3-xvdb@r1.qcow2')), { code: 'ENOENT' });
  assert.deepEqual(await chainOf(img('web-3-xvdb.qcow2')), [img('web-3-xvdb.qcow2')]);
  const l = JSON.parse((await cli('list', 'web-3', '--json')).out) as { domains: Array<{ disks: Array<{ chain: Array<{ path: string }> }> }>; snapshots: Array<{ name: string }>; findings: Array<{ message: string }> };
  assert.deepEqual(l.domains[0]!.disks.map((d) => d.chain.map((m) => m.path)), [[img('web-3-xvda.qcow2')], [img('web-3-xvdb.qcow2')]], 'QEMU itself writes to the leaves again');
  assert.deepEqual(l.snapshots.map((s) => s.name), ['golden']);
  assert.deepEqual(l.findings.map((f) => f.message), []);
  // and the same name can be used now
  const again = await cli('create', 'web-3', '-n', 'r1', '--disks', 'xvdb');
  assert.deepEqual([again.code, again.out, again.err], [0, 'created snapshot r1 of web-3 (disk-only, external, disk xvdb)\n', '']);
  const d = await cli('delete', 'web-3', 'r1', '--yes');
  assert.equal(d.code, 0, d.err);
});
