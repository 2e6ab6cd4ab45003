// Kill during create/delete (XENSNAP_TEST_CRASH_AT, see src/journal/crash-points.ts): the next command
// recovers through the same journal as apply, and the domain ends with no drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLab, destroyLab, type Lab } from '../../src/lab/create-lab.js';
import { assertCleanImage, sameContent, saveReference, writePattern } from '../util/image-refs.js';
import { chainOf, journalFiles, spawnCli } from './one-off-helpers.js';
import { makeRaw, refWrite, sameBytes } from '../hypervisor/live-vm.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { humanMonitor } from '../../src/qmp/human-monitor.js';

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

const DB1_DISKS = ['xvda', 'xvdb'] as const;
type Refs = Record<(typeof DB1_DISKS)[number], string>;

/**
 * Raw references of db-1's disks as they show now (`before`: what a snapshot taken now must
 * freeze) and copies (`after`) that later writes go to as well (what the leaves must show).
 */
async function db1References(tag: string): Promise<{ before: Refs; after: Refs }> {
  const before = {} as Refs;
  const after = {} as Refs;
  for (const v of DB1_DISKS) {
    before[v] = join(lab.dir, `${tag}-${v}.before.raw`);
    after[v] = join(lab.dir, `${tag}-${v}.after.raw`);
    await saveReference(img(`db-1-${v}.qcow2`), 'qcow2', before[v]);
    await copyFile(before[v], after[v]);
  }
  return { before, after };
}

/** A write to db-1's leaf (shut off: straight into the image) and to the given raw references. */
async function db1Write(v: (typeof DB1_DISKS)[number], pattern: number, off: number, len: number, refs: string[]) {
  await writePattern(img(`db-1-${v}.qcow2`), 'qcow2', pattern, off, len);
  for (const r of refs) await writePattern(r, 'raw', pattern, off, len);
}

/** Every leaf shows `after`; the snapshot's frozen images (when named) show `before` and not `after`. */
async function assertDb1Data(refs: { before: Refs; after: Refs }, snapshot: string | null, what: string) {
  for (const v of DB1_DISKS) {
    assert.ok(await sameContent(img(`db-1-${v}.qcow2`), 'qcow2', refs.after[v], 'raw'), `${what}: the ${v} leaf shows every write`);
    if (!snapshot) continue;
    const frozen = img(`db-1-${v}@${snapshot}.qcow2`);
    assert.ok(await sameContent(frozen, 'qcow2', refs.before[v], 'raw'), `${what}: ${snapshot}'s ${v} image holds the data from before the snapshot`);
    assert.ok(!(await sameContent(frozen, 'qcow2', refs.after[v], 'raw')), `${what}: ${snapshot}'s ${v} image has none of the later writes`);
  }
}

async function removeRefs(refs: { before: Refs; after: Refs }) {
  for (const f of [...Object.values(refs.before), ...Object.values(refs.after)]) await rm(f, { force: true });
}

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

test('killed in the middle of an external create: the same create run again rolls it back first, then succeeds; data where it belongs', async () => {
  await db1Write('xvda', 0x1a, 1 << 20, 65536, []);
  await db1Write('xvdb', 0x1b, 2 << 20, 65536, []);
  const refs = await db1References('c1');
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
  // writes after the snapshot, overlapping the earlier ones, go to the leaves only
  await db1Write('xvda', 0x2a, (1 << 20) + 4096, 8192, [refs.after.xvda]);
  await db1Write('xvdb', 0x2b, (2 << 20) + 512, 4096, [refs.after.xvdb]);
  await assertDb1Data(refs, 'c1', 'after the recovered create');
  const d = await cli('delete', 'db-1', 'c1', '--yes');
  assert.equal(d.code, 0, d.err);
  await assertDb1Data(refs, null, 'after deleting c1');
  await removeRefs(refs);
  await assertDb1Clean();
});

test('killed after the images were made but before the record: apply resolves it one way or the other; no drift', async () => {
  await db1Write('xvda', 0x3a, 5 << 20, 65536, []);
  await db1Write('xvdb', 0x3b, 6 << 20, 65536, []);
  const refs = await db1References('c2');
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
    await db1Write('xvda', 0x4a, (5 << 20) + 4096, 8192, [refs.after.xvda]);
    await db1Write('xvdb', 0x4b, (6 << 20) + 512, 4096, [refs.after.xvdb]);
    await assertDb1Data(refs, 'c2', 'after the create was finished by recovery');
    const d = await cli('delete', 'db-1', 'c2', '--yes');
    assert.equal(d.code, 0, d.err);
  }
  await assertDb1Data(refs, null, record ? 'after deleting c2' : 'after the create was rolled back');
  await removeRefs(refs);
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

/** A guest-like write on the running web-3's disk xvdb (HMP qemu-io on its device), flushed, and to `refs`. */
async function web3Write(pattern: number, off: number, len: number, refs: string[]) {
  const c = await QmpClient.connect(join(lab.dir, 'run', 'web-3.qmp'));
  try {
    const dev = '/machine/peripheral/vd1/virtio-backend';
    await humanMonitor(c, `qemu-io -d ${dev} "write -P 0x${pattern.toString(16)} ${off} ${len}"`);
    await humanMonitor(c, `qemu-io -d ${dev} "flush"`);
  } finally {
    c.close();
  }
  for (const r of refs) await refWrite(r, pattern, off, len);
}

test('killed inside the QMP transaction of a create on the running web-3: apply rolls it back; the domain runs on its own leaf, data intact', async () => {
  const ref = join(lab.dir, 'web-3-xvdb.ref.raw');
  const frozenRef = join(lab.dir, 'web-3-xvdb.frozen.raw');
  await makeRaw(ref, 64 << 20);
  await web3Write(0x5d, 1 << 20, 65536, [ref]);
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
  const leaf = img('web-3-xvdb.qcow2');
  assert.ok(await sameBytes(leaf, 'qcow2', ref), 'the leaf shows what the guest wrote before the crash');
  await web3Write(0x5e, (1 << 20) + 4096, 8192, [ref]);
  assert.ok(await sameBytes(leaf, 'qcow2', ref), "the guest's writes after the recovery reach the leaf");
  // and the same name can be used now
  await copyFile(ref, frozenRef);
  const again = await cli('create', 'web-3', '-n', 'r1', '--disks', 'xvdb');
  assert.deepEqual([again.code, again.out, again.err], [0, 'created snapshot r1 of web-3 (disk-only, external, disk xvdb)\n', '']);
  await web3Write(0x5f, (1 << 20) + 512, 4096, [ref]);
  assert.ok(await sameBytes(img('web-3-xvdb@r1.qcow2'), 'qcow2', frozenRef), 'r1 holds the data from before it');
  assert.ok(await sameBytes(leaf, 'qcow2', ref), 'the leaf over r1 shows every write');
  const d = await cli('delete', 'web-3', 'r1', '--yes');
  assert.equal(d.code, 0, d.err);
  assert.ok(await sameBytes(leaf, 'qcow2', ref), 'deleting r1 keeps the guest-visible data');
  await rm(ref);
  await rm(frozenRef);
});
