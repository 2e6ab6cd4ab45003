import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { BlktapBackend } from '../../src/backends/blktap/blktap-backend.js';
import { QemuDriver } from '../../src/hypervisor/qemu/qemu-driver.js';
import type { RevertTarget } from '../../src/revert/revert-plan.js';
import { readRecord } from '../../src/state/index.js';
import { createDynamicVhd } from '../../src/formats/vhd/vhd-create.js';
import { tagClusterDiffOf } from '../../src/formats/qcow2/tag-cluster-diff.js';
import type { Domain } from '../../src/model/domain.js';
import { RecordingJournal, assertCleanImage, dirState, qdisk, saveReference, testDomain, writePattern } from '../util/image-refs.js';
import { sameBytes } from '../hypervisor/live-vm.js';
import { internalTags } from '../cli/one-off-helpers.js';
import { guestWrite, ownComposed } from '../backends/blktap/blktap-fixture.js';
import { checkedPlan, revertNow } from './revert-helper.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const NOW = new Date('2026-11-26T06:00:00Z');
const PRE = 'pre-revert-20261126T060000Z';
const driver = new QemuDriver();
const backend = new QdiskBackend({ connect: () => Promise.reject(new Error('no live domain in this test')) });

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-rvo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function disks(dir: string, n: number): Promise<Domain> {
  const names = ['xvda', 'xvdb'].slice(0, n);
  for (const v of names) await exec('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, `${v}.qcow2`), String(8 * MiB)]);
  return testDomain(names.map((v) => qdisk(v, join(dir, `${v}.qcow2`))));
}

const snap = (domain: Domain, name: string, type: 'internal' | 'external', only?: string[]) =>
  backend.create({ domain, disks: domain.disks.filter((d) => !only || only.includes(d.vdev)), snapshot: name, type }, new RecordingJournal());
const target = (name: string, type: 'internal' | 'external', recs: RevertTarget['disks']): RevertTarget => ({ name, type, mode: 'disk-only', memoryFile: null, disks: recs });
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

test('external qcow2 revert, shut off: leaf = snapshot, newer snapshot and pre-revert state intact; the newer one on the side branch reverts the same way', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 1);
  const leaf = domain.disks[0]!.path;
  await writePattern(leaf, 'qcow2', 0xa1, 0, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 's1.raw'));
  const s1 = await snap(domain, 's1', 'external');
  await writePattern(leaf, 'qcow2', 0xa2, 32768, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 's2.raw'));
  const s2 = await snap(domain, 's2', 'external');
  await writePattern(leaf, 'qcow2', 0xa3, 4 * MiB, 4096);
  await saveReference(leaf, 'qcow2', join(dir, 'last.raw'));
  const stateDir = join(dir, 'state');

  const r = await revertNow(domain, target('s1', 'external', s1), { driver, backend, stateDir, now: NOW });
  assert.equal(r.report.ok, true, r.report.text);
  assert.equal(r.report.text, `reverted web-1 to s1; the previous state is snapshot ${PRE}; web-1 is shut off\n`);
  assert.deepEqual(r.trace, ['revert.build-leaf:xvda', 'revert.pre-revert', ...['overlay', 'link', 'switch'].map((s) => `qdisk-offline.external-${s}:xvda`), 'record.write', 'revert.switch-disk:xvda']);
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 's1.raw')), 'leaf shows s1');
  assert.ok(await sameBytes(join(dir, 'xvda@s2.qcow2'), 'qcow2', join(dir, 's2.raw')), 's2 is intact');
  assert.ok(await sameBytes(join(dir, `xvda@${PRE}.qcow2`), 'qcow2', join(dir, 'last.raw')), 'pre-revert holds the last state');
  await assertCleanImage(leaf, 'qcow2');
  const { stdout } = await exec('qemu-img', ['info', '--output=json', leaf]);
  assert.equal(JSON.parse(stdout)['backing-filename'], join(dir, 'xvda@s1.qcow2'));
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.qcow2')).sort(), ['xvda.qcow2', `xvda@${PRE}.qcow2`, 'xvda@s1.qcow2', 'xvda@s2.qcow2']);
  const rec = await readRecord(stateDir, domain.key, PRE);
  assert.deepEqual([rec?.description, rec?.managedBy, rec?.domainState, rec?.type], ['state before revert to s1', 'xensnap', 'shutoff', 'external']);
  assert.deepEqual(await readdir(join(stateDir, '.journal')), [], 'the journal was ended');

  // s2 now lies on a side branch (under the pre-revert image); it reverts the same way.
  const later = new Date(NOW.getTime() + 1000);
  const r2 = await revertNow(domain, target('s2', 'external', s2), { driver, backend, stateDir, now: later });
  assert.equal(r2.report.ok, true, r2.report.text);
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 's2.raw')), 'leaf shows s2');
  assert.ok(await sameBytes(join(dir, `xvda@${PRE}.qcow2`), 'qcow2', join(dir, 'last.raw')), 'the first pre-revert snapshot is intact');
});

test('internal qcow2 revert with the tag in each leaf: applied in place; the pre-revert tag keeps the last state', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 2);
  for (const [i, d] of domain.disks.entries()) {
    await writePattern(d.path, 'qcow2', 0x10 + i, 0, 65536);
    await saveReference(d.path, 'qcow2', join(dir, `i1-${i}.raw`));
  }
  const recs = await snap(domain, 'i1', 'internal');
  for (const [i, d] of domain.disks.entries()) {
    await writePattern(d.path, 'qcow2', 0x20 + i, 8192, 65536);
    await saveReference(d.path, 'qcow2', join(dir, `last-${i}.raw`));
  }
  const r = await revertNow(domain, target('i1', 'internal', recs), { driver, backend, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual(r.plan.disks.map((d) => d.method), ['apply-tag', 'apply-tag']);
  assert.equal(r.plan.preRevertType, 'internal');
  for (const [i, d] of domain.disks.entries()) {
    assert.ok(await sameBytes(d.path, 'qcow2', join(dir, `i1-${i}.raw`)), `disk ${i} shows i1`);
    await saveReference(d.path, 'qcow2', join(dir, `pre-${i}.raw`), PRE);
    assert.deepEqual(await readFile(join(dir, `pre-${i}.raw`)), await readFile(join(dir, `last-${i}.raw`)), `tag ${PRE} on disk ${i} holds the last state`);
    await assertCleanImage(d.path, 'qcow2');
  }
});

test('internal tag below the leaf: a fresh leaf over the image holding it, equal to the tag, holding only the clusters that differ; that image is unchanged', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 1);
  const leaf = domain.disks[0]!.path;
  await writePattern(leaf, 'qcow2', 0x31, 0, 2 * MiB);
  await saveReference(leaf, 'qcow2', join(dir, 'i1.raw'));
  const i1 = await snap(domain, 'i1', 'internal');
  await writePattern(leaf, 'qcow2', 0x32, 0, 256 * 1024); // differs from i1 in 256 KiB
  await writePattern(leaf, 'qcow2', 0x33, 5 * MiB, 128 * 1024); // allocated after i1: must read as i1's zeros
  const e1 = await snap(domain, 'e1', 'external'); // i1 now lives in xvda@e1
  const holder = join(dir, 'xvda@e1.qcow2');
  await writePattern(leaf, 'qcow2', 0x34, 3 * MiB, 4096);
  await saveReference(leaf, 'qcow2', join(dir, 'last.raw'));
  const holderSha = await sha(holder);
  assert.deepEqual(await tagClusterDiffOf(holder, 'i1'), { clusterSize: 65536, tagClusters: 32, differing: 6 });

  const r = await revertNow(domain, target('i1', 'internal', i1), { driver, backend, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual(r.plan.disks.map((d) => [d.method, d.source]), [['tag-leaf', holder]]);
  assert.equal(r.plan.preRevertType, 'external');
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 'i1.raw')), 'the leaf shows i1');
  assert.equal(await sha(holder), holderSha, 'the image holding the tag is byte for byte unchanged');
  assert.deepEqual(await internalTags(holder), ['i1']);
  assert.ok(await sameBytes(join(dir, `xvda@${PRE}.qcow2`), 'qcow2', join(dir, 'last.raw')), 'pre-revert holds the last state');
  assert.ok(await sameBytes(join(dir, 'xvda@e1.qcow2'), 'qcow2', join(dir, 'last.raw')) === false);
  await assertCleanImage(leaf, 'qcow2');
  const { stdout } = await exec('qemu-img', ['map', '--output=json', '-f', 'qcow2', leaf]);
  const own = (JSON.parse(stdout) as { start: number; length: number; depth: number }[]).filter((e) => e.depth === 0).map((e) => [e.start, e.length]);
  assert.deepEqual(own, [[0, 256 * 1024], [5 * MiB, 128 * 1024]], 'only the clusters where i1 differs from the holder');
  assert.deepEqual(e1.map((x) => x.frozenPath), [holder]);
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('xensnap')), [], 'no temporary image left');
});

test('one disk with the tag in its leaf, one below: both frozen, the first reads its tag from its own pre-revert image', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 2);
  for (const [i, d] of domain.disks.entries()) {
    await writePattern(d.path, 'qcow2', 0x41 + i, 0, 65536);
    await saveReference(d.path, 'qcow2', join(dir, `i1-${i}.raw`));
  }
  const i1 = await snap(domain, 'i1', 'internal');
  await snap(domain, 'e1', 'external', ['xvdb']);
  for (const [i, d] of domain.disks.entries()) {
    await writePattern(d.path, 'qcow2', 0x51 + i, 4096, 65536);
    await saveReference(d.path, 'qcow2', join(dir, `last-${i}.raw`));
  }
  const r = await revertNow(domain, target('i1', 'internal', i1), { driver, backend, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual(r.plan.disks.map((d) => [d.method, d.source]), [['tag-leaf', join(dir, `xvda@${PRE}.qcow2`)], ['tag-leaf', join(dir, 'xvdb@e1.qcow2')]]);
  assert.deepEqual(r.trace.filter((s) => s.startsWith('revert.')), ['revert.build-leaf:xvdb', 'revert.pre-revert', 'revert.build-leaf:xvda', 'revert.switch-disk:xvda', 'revert.switch-disk:xvdb']);
  for (const [i, d] of domain.disks.entries()) {
    assert.ok(await sameBytes(d.path, 'qcow2', join(dir, `i1-${i}.raw`)), `disk ${i} shows i1`);
    assert.ok(await sameBytes(join(dir, `${d.vdev}@${PRE}.qcow2`), 'qcow2', join(dir, `last-${i}.raw`)), `pre-revert ${d.vdev} holds the last state`);
    await assertCleanImage(d.path, 'qcow2');
  }
});

test('an internal tag on a side branch (in an earlier pre-revert image) is found and reverted to', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 1);
  const leaf = domain.disks[0]!.path;
  await writePattern(leaf, 'qcow2', 0x61, 0, 65536);
  const s1 = await snap(domain, 's1', 'external');
  await writePattern(leaf, 'qcow2', 0x62, 65536, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 'i2.raw'));
  const i2 = await snap(domain, 'i2', 'internal');
  const stateDir = join(dir, 'state');
  assert.equal((await revertNow(domain, target('s1', 'external', s1), { driver, backend, stateDir, now: NOW })).report.ok, true);
  // i2 now sits in xvda@PRE, which the current leaf does not read through
  const sideImage = join(dir, `xvda@${PRE}.qcow2`);
  assert.deepEqual(await internalTags(sideImage), ['i2']);
  const lost = await checkedPlan(domain, target('i2', 'internal', i2), { driver, stateDir, now: new Date(NOW.getTime() + 1000) });
  assert.match(lost.refusal ?? '', /^disk xvda: internal snapshot "i2" is in no image of the disk \(the chain of /);
  const known = new Map([['xvda', [sideImage]]]);
  const r = await revertNow(domain, target('i2', 'internal', i2), { driver, backend, stateDir, now: new Date(NOW.getTime() + 1000), known });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual(r.plan.disks.map((d) => [d.method, d.source]), [['tag-leaf', sideImage]]);
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 'i2.raw')), 'the leaf shows i2');
});

test('external VHD revert, shut off: a new differencing leaf over the frozen image', async (t) => {
  const dir = await tmp(t);
  const leaf = join(dir, 'xvda.vhd');
  await createDynamicVhd(leaf, 8 * MiB);
  const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'shutoff', disks: [{ vdev: 'xvda', path: leaf, format: 'vhd', backend: 'tap', readonly: false, cdrom: false }] };
  const tap = new BlktapBackend();
  await guestWrite(leaf, 0, Buffer.alloc(65536, 0xb1));
  const s1Bytes = await ownComposed(leaf);
  const s1 = await tap.create({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, new RecordingJournal());
  await guestWrite(leaf, 2 * MiB, Buffer.alloc(4096, 0xb2));
  const lastBytes = await ownComposed(leaf);
  const r = await revertNow(domain, target('s1', 'external', s1), { driver, backend: tap, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual(r.trace.filter((s) => !s.startsWith('blktap.')), ['revert.build-leaf:xvda', 'revert.pre-revert', 'record.write', 'revert.switch-disk:xvda']);
  assert.deepEqual(await ownComposed(leaf), s1Bytes, 'leaf shows s1');
  assert.deepEqual(await ownComposed(join(dir, `xvda@${PRE}.vhd`)), lastBytes, 'pre-revert holds the last state');
  assert.deepEqual(await ownComposed(join(dir, 'xvda@s1.vhd')), s1Bytes, 's1 untouched');
});

test('refusals before anything changes: a running domain without --stop, a tag that is nowhere', async (t) => {
  const dir = await tmp(t);
  const domain = await disks(dir, 1);
  const i1 = [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk' as const, tag: 'i1' }];
  const before = await dirState(dir);
  const missing = await checkedPlan(domain, target('i1', 'internal', i1), { driver, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(missing.refusal, `disk xvda: internal snapshot "i1" is in no image of the disk (the chain of ${domain.disks[0]!.path})`);
  const running = { ...domain, state: 'running' as const, qmp: join(dir, 'nobody.qmp') };
  const stopping = { ...driver, kind: 'qemu' as const, status: async () => 'running' as const } as unknown as QemuDriver;
  const plan = await checkedPlan(running, target('e1', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: join(dir, 'xvda@e1.qcow2') }]), { driver: stopping, stateDir: join(dir, 'state'), now: NOW });
  assert.equal(plan.refusal, 'domain web-1 is running; a revert discards its current running state, so pass --stop to stop it first');
  assert.deepEqual(plan.notes, [`also refused: disk xvda: the snapshot's image ${join(dir, 'xvda@e1.qcow2')} is missing`]);
  assert.deepEqual(await dirState(dir), before);
});
