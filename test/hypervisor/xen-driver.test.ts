// The xen driver against the recording `xl` stand-in, with a real QEMU playing the device model on
// <runDir>/qmp-libxl-<domid> (qdisk node names xvda-qcow2, xvdb-qcow2 like Xen's).
import { waitUntilLocked } from '../util/lock-held.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { XenDriver } from '../../src/hypervisor/xen/xen-driver.js';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import { revertNow } from '../revert/revert-helper.js';
import type { Domain } from '../../src/model/domain.js';
import { RecordingJournal } from '../util/image-refs.js';
import { makeXlWorld, type XlWorld } from '../inventory/xl-world.js';
import { createImages, makeRaw, refWrite, sameBytes, startLiveDomain, type LiveDomain } from './live-vm.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const UUID = '039e9ee6-4a84-3055-4c81-8ba426ae2656';

interface XenLab {
  dir: string;
  runDir: string;
  world: XlWorld;
  vm: LiveDomain;
  domain: Domain;
  driver: XenDriver;
  backend: QdiskBackend;
  refs: string[];
}

async function xenLab(t: TestContext, failures: unknown[] = []): Promise<XenLab> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-xen-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runDir = join(dir, 'run');
  await mkdir(runDir);
  const paths = await createImages(dir, 2, 8 * MiB);
  const config = {
    c_info: { type: 'pv', name: 'web-1', uuid: UUID },
    b_info: { max_vcpus: 1, target_memkb: 65536 },
    disks: paths.map((p, i) => ({ pdev_path: p, vdev: `xvd${'ab'[i]}`, backend: 'qdisk', format: 'qcow2', readwrite: 1 })),
  };
  const world = await makeXlWorld(t, { domains: [{ domid: 7, state: '-b----', config }], nextDomid: 8, failures });
  const vm = await startLiveDomain(t, dir, paths, 64, join(runDir, 'qmp-libxl-7'));
  const domain: Domain = { ...vm.domain, name: 'web-1', uuid: UUID, key: UUID, domid: 7, disks: vm.domain.disks.map((d) => ({ ...d, backend: 'qdisk' })) };
  const driver = new XenDriver({ xl: world.xl, runDir, libDir: dir });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
  const refs = [join(dir, 'r0.raw'), join(dir, 'r1.raw')];
  for (const [i, r] of refs.entries()) {
    await makeRaw(r, 8 * MiB);
    await vm.write(i, 0x30 + i, i * MiB, 65536);
    await refWrite(r, 0x30 + i, i * MiB, 65536);
  }
  return { dir, runDir, world, vm, domain, driver, backend, refs };
}

const live = (l: XenLab, snapshot: string, type: 'external' | 'internal' = 'external') =>
  takeLiveSnapshot({
    domain: l.domain, disks: l.domain.disks, snapshot, type, backend: l.backend, driver: l.driver, journal: new RecordingJournal(),
    stateDir: join(l.dir, 'state'), quiesce: 'off', guestAgentSocket: null,
  });

test('xen live snapshot: xl save -p (it suspends the guest; no xl pause), disk transaction on the device model under the lock, xl unpause', async (t) => {
  const l = await xenLab(t);
  const r = await live(l, 's1');
  const file = join(l.dir, 'state', UUID, 's1.save');
  // list -v: after taking libxl's lock, the instance is checked to be still domid 7 with its UUID
  assert.deepEqual(await l.world.calls(), [['save', '-p', 'web-1', file], ['list', '-v', 'web-1'], ['unpause', 'web-1']]);
  assert.equal(r.memoryFile, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.ok((await readFile(file, 'latin1')).startsWith('Xen saved domain, xl format\n'));
  assert.deepEqual(r.disks.map((d) => d.frozenPath), [join(l.dir, 'disk0@s1.qcow2'), join(l.dir, 'disk1@s1.qcow2')]);
  for (const [i, d] of l.domain.disks.entries()) assert.ok(await sameBytes(join(l.dir, `disk${i}@s1.qcow2`), 'qcow2', l.refs[i]!), d.vdev);
  assert.equal((await l.world.world()).domains[0]!.state, '-b----');
});

test('xen: a failed xl save leaves no memory file and no disk snapshot, and the domain runs (xl resumed it)', async (t) => {
  const l = await xenLab(t, [{ command: 'save', exitCode: 1, stderr: 'libxl: error: injected save failure\nFailed to save domain, resuming domain\n' }]);
  await assert.rejects(live(l, 's1'), /xl failed .*exit code: 1; stderr: libxl: error: injected save failure/);
  // xl resumed the guest itself: our unpause fails (Xen: EINVAL), the real state says it runs
  assert.deepEqual((await l.world.calls()).map((c) => c[0]), ['save', 'unpause', 'list']);
  assert.equal((await l.world.world()).domains[0]!.state, '-b----');
  assert.deepEqual(await readdir(join(l.dir, 'state', UUID)), []);
  assert.deepEqual((await readdir(l.dir)).filter((n) => n.includes('@')), []);
});

test('xen: an xl unpause that fails once is retried', async (t) => {
  const l = await xenLab(t, [{ command: 'unpause', exitCode: 1, times: 1 }]);
  const r = await live(l, 's1');
  assert.deepEqual((await l.world.calls()).map((c) => c.join(' ')), ['save', 'list -v', 'unpause', 'list', 'unpause'].map((c, i) => (i === 0 ? `save -p web-1 ${join(l.dir, 'state', UUID, 's1.save')}` : `${c} web-1`)), 'after a failed unpause the real state is read, then the unpause retried');
  assert.equal((await l.world.world()).domains[0]!.state, '-b----');
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0]!.message, /^domain web-1: resume failed 1 time\(s\) before it worked/);
});

test("xen: QMP sessions hold libxl's flock; a lock held elsewhere makes xensnap wait, then give up", async (t) => {
  const l = await xenLab(t);
  const lockFile = join(l.dir, `userdata-l.7.${UUID}.qmp-socket-lock`);
  const c = await l.driver.qmp(l.domain);
  await assert.rejects(exec('flock', ['--nonblock', lockFile, 'true']), (e: { code?: number }) => e.code === 1);
  c.close();
  await c.released;
  await exec('flock', ['--nonblock', lockFile, 'true']);
  // Another holder (libxl, say) keeps the lock: xensnap waits lockTimeoutMs, then fails clearly.
  const holder = spawn('flock', [lockFile, 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  await waitUntilLocked(lockFile);
  const waiting = new XenDriver({ xl: l.world.xl, runDir: l.runDir, libDir: l.dir, lockTimeoutMs: 1000 });
  await assert.rejects(waiting.qmp(l.domain), new RegExp(`^BackendError: cannot take the lock ${lockFile}: still held by another process after 1000 ms`));
  holder.kill('SIGKILL');
});

test('xen: the lock is named by the running instance (xl list -l), also for a domain without a uuid line; a restarted domain is not addressed through its old domid', async (t) => {
  const l = await xenLab(t);
  // keyed by name, no fixed uuid: libxl's lock still carries the live UUID
  const bare: Domain = { ...l.domain, uuid: null, key: 'name-web-1', instanceUuid: UUID };
  const c = await l.driver.qmp(bare);
  assert.equal(typeof (await c.execute<{ status: string }>('query-status')).status, 'string');
  await assert.rejects(exec('flock', ['--nonblock', join(l.dir, `userdata-l.7.${UUID}.qmp-socket-lock`), 'true']), (e: { code?: number }) => e.code === 1);
  c.close();
  await c.released;
  await assert.rejects(l.driver.qmp({ ...bare, instanceUuid: undefined } as Domain), {
    name: 'BackendError',
    message: 'domain "web-1" has no domid or instance UUID: it is not running, so it has no device model',
  });
  const other = '22222222-0000-4000-8000-000000000000';
  await assert.rejects(l.driver.qmp({ ...bare, instanceUuid: other }), {
    name: 'BackendError',
    message: `domain "web-1" is no longer instance 7/${other} (xl list -v: 7/${UUID}); read the inventory again`,
  });
  await stat(join(l.dir, `userdata-l.7.${other}.qmp-socket-lock`)).then(() => assert.fail('the lock file of a refused session must be gone'), () => {});
});

for (const type of ['external', 'internal'] as const) {
test(`xen revert of a live ${type} snapshot: xl destroy, ${type === 'external' ? 'fresh leaves' : 'qemu-img snapshot -a'}, xl restore; disks equal the snapshot`, async (t) => {
  const l = await xenLab(t);
  const snap = await live(l, 's1', type);
  assert.equal(snap.memoryFile, join(l.dir, 'state', UUID, 's1.save'), 'xen keeps memory in a save file for internal snapshots too');
  await l.vm.write(0, 0x77, 0, 4096);
  await l.vm.write(1, 0x78, 0, 4096);
  // Xen tears the device model down with the domain; here the test's QEMU plays that part.
  const driver = Object.assign(Object.create(l.driver) as XenDriver, {
    destroy: async (d: Domain) => {
      await l.driver.destroy(d);
      await l.vm.flush();
      await l.vm.killAll();
      await rm(join(l.runDir, 'qmp-libxl-7'), { force: true });
    },
  });
  const target = { name: 's1', type, mode: 'live' as const, memoryFile: snap.memoryFile, disks: snap.disks };
  const now = new Date('2026-11-26T05:30:00Z');
  const r = await revertNow(l.domain, target, { driver, backend: l.backend, stateDir: join(l.dir, 'state'), stop: true, paused: true, now });
  assert.equal(r.report.ok, true, r.report.text);
  assert.deepEqual((await l.world.calls()).slice(3), [['list', 'web-1'], ['destroy', 'web-1'], ['list', 'web-1'], ['restore', '-p', snap.memoryFile], ['list', '-l', 'web-1']]);
  const restored = (await l.world.world()).domains[0]!;
  assert.deepEqual([restored.domid, restored.state], [8, '--p---']);
  for (const [i, d] of l.domain.disks.entries()) assert.ok(await sameBytes(d.path, 'qcow2', l.refs[i]!), `${d.vdev} shows s1`);
});
}
