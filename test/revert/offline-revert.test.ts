import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { BlktapBackend } from '../../src/backends/blktap/blktap-backend.js';
import { QemuDriver } from '../../src/hypervisor/qemu/qemu-driver.js';
import { planRevert, type RevertTarget } from '../../src/revert/revert-plan.js';
import { revertDomain } from '../../src/revert/revert-domain.js';
import { readRecord } from '../../src/state/index.js';
import { createDynamicVhd } from '../../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../../src/formats/vhd/vhd-image.js';
import { writeVhdSectors } from '../../src/formats/vhd/vhd-sectors.js';
import type { SnapshotBackend } from '../../src/backends/backend.js';
import type { Domain } from '../../src/model/domain.js';
import { RecordingJournal, assertCleanImage, qdisk, saveReference, testDomain, writePattern } from '../util/image-refs.js';
import { sameBytes } from '../hypervisor/live-vm.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const NOW = new Date('2026-11-26T06:00:00Z');
const PRE = 'pre-revert-20261126T060000Z';
const driver = new QemuDriver();
const qdiskBackend = new QdiskBackend({ connect: () => Promise.reject(new Error('no live domain in this test')) });

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-rvo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function revert(domain: Domain, target: RevertTarget, backend: SnapshotBackend, stateDir: string): Promise<RecordingJournal> {
  const plan = planRevert({ domain, live: await driver.status(domain), target, stop: false, paused: false, now: NOW, hypervisor: 'qemu' });
  assert.equal(plan.refusal, null);
  const journal = new RecordingJournal();
  const after = await revertDomain(plan, domain, { driver, backendFor: () => backend, stateDir, journal, now: NOW });
  assert.equal(after.state, 'shutoff');
  return journal;
}

test('external qcow2 revert on a shut-off domain: leaf = snapshot bytes, newer snapshot and pre-revert state intact', async (t) => {
  const dir = await tmp(t);
  const leaf = join(dir, 'disk.qcow2');
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', leaf, String(8 * MiB)]);
  const domain = testDomain([qdisk('xvda', leaf)]);
  const snap = async (name: string) => qdiskBackend.create({ domain, disks: domain.disks, snapshot: name, type: 'external' }, new RecordingJournal());
  await writePattern(leaf, 'qcow2', 0xa1, 0, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 's1.raw'));
  const s1 = await snap('s1');
  await writePattern(leaf, 'qcow2', 0xa2, 32768, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 's2.raw'));
  const s2 = await snap('s2');
  await writePattern(leaf, 'qcow2', 0xa3, 4 * MiB, 4096);
  await saveReference(leaf, 'qcow2', join(dir, 'last.raw'));
  const stateDir = join(dir, 'state');

  const journal = await revert(domain, { name: 's1', type: 'external', mode: 'disk-only', memoryFile: null, disks: s1 }, qdiskBackend, stateDir);
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 's1.raw')), 'leaf shows s1');
  assert.ok(await sameBytes(join(dir, 'disk@s2.qcow2'), 'qcow2', join(dir, 's2.raw')), 's2 is intact');
  assert.ok(await sameBytes(join(dir, `disk@${PRE}.qcow2`), 'qcow2', join(dir, 'last.raw')), 'pre-revert holds the last state');
  await assertCleanImage(leaf, 'qcow2');
  const { stdout } = await exec('qemu-img', ['info', '--output=json', leaf]);
  assert.equal(JSON.parse(stdout)['backing-filename'], join(dir, 'disk@s1.qcow2'));
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.qcow2')).sort(), ['disk.qcow2', 'disk@pre-revert-20261126T060000Z.qcow2', 'disk@s1.qcow2', 'disk@s2.qcow2']);
  assert.deepEqual(journal.lines.filter((l) => l.includes('revert-')), ['intent:revert-record', 'done:revert-record', 'intent:revert-disk:xvda', 'done:revert-disk:xvda']);
  const rec = await readRecord(stateDir, domain.key, PRE);
  assert.equal(rec?.description, 'state before revert to s1');
  assert.equal(rec?.managedBy, 'xensnap');
  assert.equal(rec?.domainState, 'shutoff');

  // The newer snapshot is still a working revert target (a second pre-revert name, one second later).
  const later = new Date(NOW.getTime() + 1000);
  const plan = planRevert({ domain, live: 'shutoff', target: { name: 's2', type: 'external', mode: 'disk-only', memoryFile: null, disks: s2 }, stop: false, paused: false, now: later, hypervisor: 'qemu' });
  await revertDomain(plan, domain, { driver, backendFor: () => qdiskBackend, stateDir, journal: new RecordingJournal(), now: later });
  assert.ok(await sameBytes(leaf, 'qcow2', join(dir, 's2.raw')), 'leaf shows s2');
});

test('internal qcow2 revert on a shut-off domain: qemu-img snapshot -a on every disk; pre-revert tag keeps the last state', async (t) => {
  const dir = await tmp(t);
  const paths = [join(dir, 'a.qcow2'), join(dir, 'b.qcow2')];
  for (const p of paths) await exec('qemu-img', ['create', '-q', '-f', 'qcow2', p, String(8 * MiB)]);
  const domain = testDomain([qdisk('xvda', paths[0]!), qdisk('xvdb', paths[1]!)]);
  for (const [i, p] of paths.entries()) {
    await writePattern(p, 'qcow2', 0x10 + i, 0, 65536);
    await saveReference(p, 'qcow2', join(dir, `i1-${i}.raw`));
  }
  const recs = await qdiskBackend.create({ domain, disks: domain.disks, snapshot: 'i1', type: 'internal' }, new RecordingJournal());
  for (const [i, p] of paths.entries()) {
    await writePattern(p, 'qcow2', 0x20 + i, 8192, 65536);
    await saveReference(p, 'qcow2', join(dir, `last-${i}.raw`));
  }
  await revert(domain, { name: 'i1', type: 'internal', mode: 'disk-only', memoryFile: null, disks: recs }, qdiskBackend, join(dir, 'state'));
  for (const [i, p] of paths.entries()) {
    assert.ok(await sameBytes(p, 'qcow2', join(dir, `i1-${i}.raw`)), `disk ${i} shows i1`);
    await saveReference(p, 'qcow2', join(dir, `pre-${i}.raw`), PRE);
    assert.deepEqual(await readFile(join(dir, `pre-${i}.raw`)), await readFile(join(dir, `last-${i}.raw`)), `tag ${PRE} on disk ${i} holds the last state`);
    await assertCleanImage(p, 'qcow2');
  }
});

/** The guest-visible bytes of a VHD over its chain, read by libvhdi's vhdimount (a third-party reader). */
async function vhdiBytes(path: string, dir: string): Promise<Buffer> {
  const mnt = await mkdtemp(join(dir, 'mnt-'));
  await exec('vhdimount', [path, mnt]);
  try {
    const names = (await readdir(mnt)).filter((n) => /^vhdi\d+$/.test(n)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    return await readFile(join(mnt, names[names.length - 1]!));
  } finally {
    await exec('umount', [mnt]);
  }
}

async function vhdWrite(path: string, offset: number, byte: number, len: number): Promise<void> {
  const img = await VhdImage.open(path, true);
  try {
    await writeVhdSectors(img, offset, Buffer.alloc(len, byte));
  } finally {
    await img.close();
  }
}

test('external VHD revert on a shut-off domain: a new differencing leaf over the frozen image (checked with vhdimount)', async (t) => {
  const dir = await tmp(t);
  const leaf = join(dir, 'xvda.vhd');
  await createDynamicVhd(leaf, 8 * MiB);
  const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'shutoff', disks: [{ vdev: 'xvda', path: leaf, format: 'vhd', backend: 'tap', readonly: false, cdrom: false }] };
  const backend = new BlktapBackend();
  await vhdWrite(leaf, 0, 0xb1, 65536);
  const s1Bytes = await vhdiBytes(leaf, dir);
  const s1 = await backend.create({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, new RecordingJournal());
  await vhdWrite(leaf, 2 * MiB, 0xb2, 4096);
  const lastBytes = await vhdiBytes(leaf, dir);
  assert.notDeepEqual(lastBytes, s1Bytes);
  await revert(domain, { name: 's1', type: 'external', mode: 'disk-only', memoryFile: null, disks: s1 }, backend, join(dir, 'state'));
  assert.deepEqual(await vhdiBytes(leaf, dir), s1Bytes, 'leaf shows s1');
  assert.deepEqual(await vhdiBytes(join(dir, `xvda@${PRE}.vhd`), dir), lastBytes, 'pre-revert holds the last state');
  assert.deepEqual(await vhdiBytes(join(dir, 'xvda@s1.vhd'), dir), s1Bytes, 's1 untouched');
});

test('a running domain is refused without --stop, before anything changes', async () => {
  const domain = testDomain([qdisk('xvda', '/srv/x.qcow2')], 'running');
  const plan = planRevert({ domain, live: 'running', target: { name: 's1', type: 'external', mode: 'disk-only', memoryFile: null, disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: '/srv/x@s1.qcow2' }] }, stop: false, paused: false, now: NOW, hypervisor: 'xen' });
  assert.equal(plan.refusal, 'domain web-1 is running; a revert discards its current running state, so pass --stop to stop it first');
  await assert.rejects(revertDomain(plan, domain, { driver, backendFor: () => qdiskBackend, stateDir: '/nonexistent', journal: new RecordingJournal(), now: NOW }), {
    name: 'UserInputError',
    message: 'revert: domain web-1 is running; a revert discards its current running state, so pass --stop to stop it first',
  });
});
