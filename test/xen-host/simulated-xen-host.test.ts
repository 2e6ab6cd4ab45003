// A simulated Xen host: QEMUs set up exactly as xen-block sets up qdisk disks (xen-block-qemu.ts),
// QMP at <runDir>/qmp-libxl-<domid>, the xl stand-in in libxl's place (HVM guests: its list -l,
// unpause and save take libxl's QMP lock with libxl's protocol and talk to the device model), one
// domain with a `uuid` line and one without. xensnap takes disk-only and live snapshots and
// deletes them through the inventory's Domain objects; the guest's disk settings (query-block,
// O_DIRECT on the open files) are the same before and after, and no lock is left held.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadInventory } from '../../src/inventory/load-inventory.js';
import { DEFAULT_LIMITS, type HostConfig } from '../../src/model/host-config.js';
import type { Domain } from '../../src/model/domain.js';
import { XenDriver } from '../../src/hypervisor/xen/xen-driver.js';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import { runJob } from '../../src/qmp/jobs.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { fakeQmpServer } from '../qmp/fake-qmp-server.js';
import { findTop, readBlockGraph } from '../../src/backends/qdisk/node-graph.js';
import { RecordingJournal, assertCleanImage, sameContent, saveReference, writePattern } from '../util/image-refs.js';
import { makeXlWorld, type XlWorld } from '../inventory/xl-world.js';
import { guestDiskSettings, openFlags, startXenBlockQemu, type XenBlockQemu } from './xen-block-qemu.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const HVM_UUID = '4a4a4a4a-1111-4222-8333-444444444444';
const noProbe = { probe: { status: async () => assert.fail('the xen driver must not probe QMP sockets') } };

interface Host {
  dir: string;
  config: HostConfig;
  world: XlWorld;
  driver: XenDriver;
  backend: QdiskBackend;
  qemu: Map<string, XenBlockQemu>;
  domains: Map<string, Domain>;
}

async function xenHost(t: TestContext, opts: { emulated?: boolean } = {}): Promise<Host> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-xenhost-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const d of ['run', 'lib', 'xen', 'state', 'img']) await mkdir(join(dir, d));
  const img = (n: string) => join(dir, 'img', `${n}.qcow2`);
  for (const n of ['hvm-1', 'pv-1']) {
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', img(n), String(16 * MiB)]);
    await writePattern(img(n), 'qcow2', 0x5a, 0, 2 * MiB);
  }
  // libxl's JSON for the disks: hvm-1 direct-io-safe with discard, pv-1 neither
  const disk = (n: string, direct: boolean, discard: boolean) => ({ pdev_path: img(n), vdev: 'xvda', backend: 'qdisk', format: 'qcow2', readwrite: 1, direct_io_safe: direct, discard_enable: discard ? 'True' : 'False' });
  const world = await makeXlWorld(t, {
    host: { runDir: join(dir, 'run'), libDir: join(dir, 'lib'), qmpTimeoutMs: 5000, suspendTimeoutMs: 500 },
    domains: [
      { domid: 4, state: '-b----', config: { c_info: { type: 'hvm', name: 'hvm-1', uuid: HVM_UUID }, disks: [disk('hvm-1', true, true)] } },
      // no uuid line: xl gives it a UUID at start (the stand-in mints one at its first listing)
      { domid: 5, state: '-b----', config: { c_info: { type: 'pv', name: 'pv-1' }, disks: [disk('pv-1', false, false)] } },
    ],
  });
  await writeFile(join(dir, 'xen', 'hvm-1.cfg'), `name = "hvm-1"\nuuid = "${HVM_UUID}"\ntype = "hvm"\ndisk = [ "format=qcow2, vdev=xvda, access=rw, backendtype=qdisk, target=${img('hvm-1')}" ]\n`);
  await writeFile(join(dir, 'xen', 'pv-1.cfg'), `name = "pv-1"\ntype = "pv"\ndisk = [ "format=qcow2, vdev=xvda, access=rw, backendtype=qdisk, target=${img('pv-1')}" ]\n`);
  const qemu = new Map<string, XenBlockQemu>();
  qemu.set('hvm-1', await startXenBlockQemu(t, { qmp: join(dir, 'run', 'qmp-libxl-4'), disks: [{ vdev: 'xvda', path: img('hvm-1'), directIo: true, discard: true }], ...(opts.emulated ? { emulatedIde: [img('hvm-1')] } : {}) }));
  qemu.set('pv-1', await startXenBlockQemu(t, { qmp: join(dir, 'run', 'qmp-libxl-5'), disks: [{ vdev: 'xvda', path: img('pv-1'), directIo: false, discard: false }] }));
  const config: HostConfig = {
    stateDir: join(dir, 'state'), policyDir: join(dir, 'policies'), hypervisor: 'xen',
    xen: { configDir: join(dir, 'xen'), runDir: join(dir, 'run'), libDir: join(dir, 'lib') },
    qemu: { inventory: null }, limits: DEFAULT_LIMITS, resyncIntervalMs: 900_000, listen: null, hooks: {}, guestAgents: {}, source: null,
  } as unknown as HostConfig;
  const inv = await loadInventory(config, { ...noProbe, xl: world.xl });
  const domains = new Map(inv.domains.map((d) => [d.name, d]));
  const driver = new XenDriver({ xl: world.xl, runDir: config.xen.runDir, libDir: config.xen.libDir, lockTimeoutMs: 10_000 });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d), online: { locking: 'off' } });
  return { dir, config, world, driver, backend, qemu, domains };
}

async function settingsOf(h: Host, name: string) {
  const c = await h.qemu.get(name)!.aux();
  try {
    return await guestDiskSettings(c, 'xvda');
  } finally {
    c.close();
  }
}

test('simulated Xen host: the inventory gives live UUIDs (with and without a uuid line) and xen-block settings', async (t) => {
  const h = await xenHost(t);
  const hvm = h.domains.get('hvm-1')!;
  const pv = h.domains.get('pv-1')!;
  assert.deepEqual([hvm.key, hvm.uuid, hvm.instanceUuid, hvm.domid, hvm.qmp], [HVM_UUID, HVM_UUID, HVM_UUID, 4, join(h.dir, 'run', 'qmp-libxl-4')]);
  const minted = (await h.world.world()).domains.find((d) => d.config.c_info.name === 'pv-1')!.config.c_info as { uuid?: string };
  assert.deepEqual([pv.key, pv.uuid, pv.instanceUuid], ['name-pv-1', null, minted.uuid]);
  assert.deepEqual(hvm.disks.map((d) => [d.node, d.qdiskOptions]), [['xvda-qcow2', { directIo: true, discard: true }]]);
  assert.deepEqual(pv.disks.map((d) => [d.node, d.qdiskOptions]), [['xvda-qcow2', { directIo: false, discard: false }]]);
});

for (const name of ['hvm-1', 'pv-1'] as const) {
  test(`simulated Xen host, ${name}: disk-only and live external snapshots and their deletes keep the guest's disk settings and data; libxl is never locked out`, async (t) => {
    const h = await xenHost(t);
    const d = h.domains.get(name)!;
    const leaf = d.disks[0]!.path;
    const pid = h.qemu.get(name)!.process.pid!;
    const before = await settingsOf(h, name);
    const direct = name === 'hvm-1';
    assert.deepEqual(before, { drv: 'qcow2', ro: false, cache: { writeback: true, direct: false, 'no-flush': false }, detect_zeroes: 'off', file: { drv: 'file', direct, noFlush: false } });
    assert.deepEqual(await openFlags(pid, leaf), [{ direct }]);
    await saveReference(leaf, 'qcow2', join(h.dir, 'ref0.raw'));

    // disk-only
    const disks1 = await h.backend.create({ domain: d, disks: d.disks, snapshot: 's1', type: 'external' }, new RecordingJournal());
    assert.deepEqual(disks1.map((x) => x.frozenPath), [`${leaf.slice(0, -6)}@s1.qcow2`]);
    assert.deepEqual(await settingsOf(h, name), before, 'the guest sees the same disk settings after the snapshot');
    assert.deepEqual(await openFlags(pid, leaf), [{ direct }], 'the new leaf is opened like the old one');
    assert.deepEqual(await openFlags(pid, disks1[0]!.frozenPath!), [{ direct }], 'the frozen image too');

    // live, with memory: under Xen `xl save -p` is the pause, and for HVM it talks QMP under libxl's lock
    const live = await takeLiveSnapshot({
      domain: d, disks: d.disks, snapshot: 's2', type: 'external', backend: h.backend, driver: h.driver, journal: new RecordingJournal(),
      stateDir: h.config.stateDir, quiesce: 'off', guestAgentSocket: null,
    });
    const calls = (await h.world.calls()).map((c) => c.join(' ')).slice(2);
    assert.deepEqual(calls, [`list -v ${name}`, `save -p ${name} ${String(live.memoryFile)}`, `list -v ${name}`, `unpause ${name}`]);
    assert.equal((await h.world.world()).domains.find((x) => x.config.c_info.name === name)!.state, '-b----', 'running again');
    assert.deepEqual(await settingsOf(h, name), before);
    assert.deepEqual(await openFlags(pid, leaf), [{ direct }]);

    // delete s1 (a stream into s2's frozen image), then s2; data of the guest unchanged throughout
    await h.backend.delete({ domain: d, snapshot: 's1', type: 'external', disks: disks1 }, new RecordingJournal());
    await h.backend.delete({ domain: d, snapshot: 's2', type: 'external', disks: live.disks }, new RecordingJournal());
    assert.deepEqual(await settingsOf(h, name), before);
    assert.deepEqual(await openFlags(pid, leaf), [{ direct }]);
    assert.deepEqual((await readdir(join(h.dir, 'img'))).filter((f) => f.startsWith(name)), [`${name}.qcow2`]);
    assert.deepEqual(await readdir(join(h.dir, 'lib')), [], 'no lock file is left: every session gave the lock back');
    const c = await h.qemu.get(name)!.aux();
    await c.execute('quit').catch(() => {}); // QEMU writes its qcow2 metadata back as it quits
    await new Promise<void>((r) => h.qemu.get(name)!.process.once('exit', () => r()));
    assert.ok(await sameContent(leaf, 'qcow2', join(h.dir, 'ref0.raw'), 'raw'), 'the guest sees what it saw before');
    await assertCleanImage(leaf, 'qcow2');
  });
}

test('simulated Xen host: while a block job runs, xensnap holds neither the lock nor the connection; libxl (xl list -l of the HVM guest) gets through', async (t) => {
  const h = await xenHost(t);
  const d = h.domains.get('hvm-1')!;
  await h.backend.create({ domain: d, disks: d.disks, snapshot: 's1', type: 'external' }, new RecordingJournal());
  const client = await h.driver.qmp(d);
  t.after(() => client.close());
  // a stream of the 2 MiB base at 256 KiB/s: about 8 s of job
  const jobId = 'xs-test-stream';
  let contenderOk = 0;
  const jobState = async () => {
    const aux = await h.qemu.get('hvm-1')!.aux();
    try {
      return (await aux.execute<{ id: string; status: string }[]>('query-jobs')).map((j) => [j.id, j.status]);
    } finally {
      aux.close();
    }
  };
  const contender = (async () => {
    // begin once the job runs (the test's own monitor, not libxl's socket)
    for (const deadline = Date.now() + 20_000; JSON.stringify(await jobState()) !== JSON.stringify([[jobId, 'running']]); ) {
      if (Date.now() > deadline) throw new Error('the stream job never ran');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 3; i++) {
      await h.world.xl(['list', '-l', 'hvm-1']);
      contenderOk++;
    }
  })();
  // after the snapshot xvda-qcow2 is the frozen node and the device's root is the overlay: stream into that
  const overlay = findTop(await readBlockGraph(client), d.disks[0]!.path, 'xvda').name;
  const job = runJob(client, jobId, () => client.execute('block-stream', { 'job-id': jobId, device: overlay, speed: 256 * 1024, 'auto-dismiss': false }), { pollMs: 50 });
  await contender;
  const jobs = await jobState();
  assert.equal(contenderOk, 3, 'three xl list -l calls took the QMP lock and talked to the device model');
  assert.deepEqual(jobs, [[jobId, 'running']], 'and all while the job ran');
  await job;
  assert.ok(client.connections >= 3, `the wait used short sessions (${client.connections} connections)`);
});

test('simulated Xen host: an HVM guest whose emulated IDE drive still shares the image: online work is refused, nothing changes', async (t) => {
  const h = await xenHost(t, { emulated: true });
  const d = h.domains.get('hvm-1')!;
  const before = await readdir(join(h.dir, 'img'));
  await assert.rejects(h.backend.create({ domain: d, disks: d.disks, snapshot: 's1', type: 'external' }, new RecordingJournal()), {
    name: 'BackendError',
    message: `disk xvda: the guest still has the emulated drive ide0-hd0 over ${d.disks[0]!.path} (an HVM guest keeps it until its PV drivers unplug it); refusing online work while both exist; nothing was changed`,
  });
  assert.deepEqual(await readdir(join(h.dir, 'img')), before);
  assert.deepEqual(await readdir(join(h.dir, 'lib')), []);
});


test("first contact: a QEMU that lacks a command the operation needs is a refusal naming it and the QEMU's version; nothing else is sent", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-offer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sock = join(dir, 'qmp');
  const seen: string[] = [];
  const commands = ['query-named-block-nodes', 'x-debug-query-block-graph', 'query-jobs', 'blockdev-add', 'blockdev-del', 'x-blockdev-reopen', 'transaction', 'blockdev-snapshot', 'query-block'];
  const srv = await fakeQmpServer(sock, (cmd, s) => {
    seen.push(cmd.execute);
    const ret = cmd.execute === 'query-version' ? { qemu: { major: 5, minor: 2, micro: 0 }, package: '' } : cmd.execute === 'query-commands' ? commands.map((name) => ({ name })) : {};
    s.write(JSON.stringify({ return: ret, id: cmd.id }) + '\n');
  });
  t.after(() => srv.close());
  const backend = new QdiskBackend({ connect: () => QmpClient.connect(sock) });
  const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'running', disks: [{ vdev: 'xvda', path: join(dir, 'a.qcow2'), format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, new RecordingJournal()), {
    name: 'BackendError',
    message: "cannot take external snapshot s1 of domain web-1: the domain's QEMU 5.2.0 does not offer blockdev-reopen (QEMU ≥ 6.1); nothing was changed",
  });
  assert.deepEqual(seen, ['query-version', 'query-commands']);
});

test('simulated Xen host, pv-1 (no uuid line): internal disk-only and live snapshots on the xen-block node, deleted again; settings and data unchanged', async (t) => {
  const h = await xenHost(t);
  const d = h.domains.get('pv-1')!;
  const leaf = d.disks[0]!.path;
  const before = await settingsOf(h, 'pv-1');
  await saveReference(leaf, 'qcow2', join(h.dir, 'ref0.raw'));
  const i1 = await h.backend.create({ domain: d, disks: d.disks, snapshot: 'i1', type: 'internal' }, new RecordingJournal());
  const live = await takeLiveSnapshot({
    domain: d, disks: d.disks, snapshot: 'i2', type: 'internal', backend: h.backend, driver: h.driver, journal: new RecordingJournal(),
    stateDir: h.config.stateDir, quiesce: 'off', guestAgentSocket: null,
  });
  assert.equal(live.memoryFile, join(h.config.stateDir, d.key, 'i2.save'), 'under Xen the memory of an internal snapshot is an xl save file');
  const aux = await h.qemu.get('pv-1')!.aux();
  const tags = await aux.execute<{ 'node-name': string; image?: { snapshots?: { name: string }[] } }[]>('query-named-block-nodes', { flat: true });
  aux.close();
  assert.deepEqual(tags.find((n) => n['node-name'] === 'xvda-qcow2')!.image!.snapshots!.map((s) => s.name), ['i1', 'i2']);
  assert.deepEqual(await settingsOf(h, 'pv-1'), before);
  await h.backend.delete({ domain: d, snapshot: 'i1', type: 'internal', disks: i1 }, new RecordingJournal());
  await h.backend.delete({ domain: d, snapshot: 'i2', type: 'internal', disks: live.disks }, new RecordingJournal());
  assert.deepEqual(await settingsOf(h, 'pv-1'), before);
  assert.deepEqual(await readdir(join(h.dir, 'lib')), []);
  const c = await h.qemu.get('pv-1')!.aux();
  await c.execute('quit').catch(() => {});
  await new Promise<void>((r) => h.qemu.get('pv-1')!.process.once('exit', () => r()));
  assert.deepEqual((await exec('qemu-img', ['snapshot', '-l', leaf])).stdout, '');
  assert.ok(await sameContent(leaf, 'qcow2', join(h.dir, 'ref0.raw'), 'raw'));
  await assertCleanImage(leaf, 'qcow2');
});
