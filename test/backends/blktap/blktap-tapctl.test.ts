import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { BlktapBackend } from '../../../src/backends/blktap/blktap-backend.js';
import { ExecTapCtl, TD_VBD_PAUSED, isPaused, parseTapCtlList } from '../../../src/backends/blktap/tap-ctl.js';
import { BackendError } from '../../../src/errors.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { frozenImagePath } from '../../../src/backends/backend.js';
import type { Domain } from '../../../src/model/domain.js';
import { run } from '../../../src/util/exec.js';
import { tempDir } from '../../formats/vhd/vhd-tools.js';
import { createLeaves, guestWrite, logLines, makeDomain, ownComposed, recordingJournal, setupTapCtl } from './blktap-fixture.js';

const MiB = 1024 * 1024;
const exec = promisify(execFile);

async function fixture(t: { after: (fn: () => Promise<void>) => void }, disks = 2): Promise<{ dir: string; domain: Domain; log: string; state: string }> {
  const { dir, cleanup } = await tempDir('blktap-tapctl');
  t.after(cleanup);
  const domain = makeDomain(dir, disks, 'running');
  await createLeaves(domain, 4 * MiB);
  for (const [i, d] of domain.disks.entries()) await guestWrite(d.path, 0, Buffer.alloc(MiB, i + 1));
  return { dir, domain, ...(await setupTapCtl(dir, domain)) };
}

async function snapshotOfFiles(dir: string): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const n of (await readdir(dir)).sort()) if (n.endsWith('.vhd') || n.includes('xensnap-new')) m.set(n, await readFile(`${dir}/${n}`));
  return m;
}

const pause = (i: number): string => `pause -p ${4000 + i} -m ${i}`;
const unpause = (d: Domain, i: number): string => `unpause -p ${4000 + i} -m ${i} -a vhd:${d.disks[i]!.path}`;

test('tap-ctl list lines parse in the real format: state is %#x, paused is the TD_VBD_PAUSED bit', () => {
  const out = [
    'pid=2883 minor=0 state=0 args=vhd:/srv/a b.vhd',
    'pid=2884 minor=1 state=0x20 args=vhd:/srv/p.vhd',
    'pid=2885 minor=2 state=0x22 args=vhd:/srv/q.vhd',
    'pid=2886 minor=3 state=0x2',
    'pid=2887 minor=4 state=0x10 args=vhd:/srv/r.vhd',
    'pid=9',
    'minor=7',
    '',
  ].join('\n');
  const list = parseTapCtlList(out);
  assert.deepEqual(list, [
    { pid: 2883, minor: 0, state: 0, type: 'vhd', path: '/srv/a b.vhd' },
    { pid: 2884, minor: 1, state: 0x20, type: 'vhd', path: '/srv/p.vhd' },
    { pid: 2885, minor: 2, state: 0x22, type: 'vhd', path: '/srv/q.vhd' },
    { pid: 2886, minor: 3, state: 0x2, type: null, path: null },
    { pid: 2887, minor: 4, state: 0x10, type: 'vhd', path: '/srv/r.vhd' },
  ]);
  // closed (0x2) or pause-requested (0x10) alone is not paused; 0x20 with other bits is
  assert.deepEqual(list.map(isPaused), [false, true, true, false, false]);
  assert.equal(TD_VBD_PAUSED, 0x20);
  for (const bad of ['state=32', 'state=0X20', 'state=0x', 'state=']) {
    assert.throws(() => parseTapCtlList(`pid=1 minor=0 ${bad} args=vhd:/x`), (e: unknown) => e instanceof BackendError && e.message.includes('is not %#x'));
  }
});

test('the tap-ctl stand-in prints and fails as tap-ctl v4.0.8 does; xensnap calls it with exactly these arguments', async (t) => {
  const { dir, cleanup } = await tempDir('blktap-standin');
  t.after(cleanup);
  const domain = makeDomain(dir, 1, 'running');
  const { log, state } = await setupTapCtl(dir, domain);
  const leaf = domain.disks[0]!.path;
  await writeFile(state, JSON.stringify({ tapdisks: [
    { pid: 4000, minor: 0, args: `vhd:${leaf}`, paused: false },
    { pid: 4001, minor: 1, paused: false, state: 0x2 },
    { pid: 4002 },
    { minor: 9 },
  ] }));
  const tc = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    try {
      const r = await exec('tap-ctl', args);
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  assert.deepEqual(await tc('list'), { code: 0, out: `pid=4000 minor=0 state=0 args=vhd:${leaf}\npid=4001 minor=1 state=0x2\npid=4002\nminor=9\n`, err: '' });
  const x = new ExecTapCtl();
  await x.pause(4000, 0);
  assert.equal((await tc('list', '-m', '0')).out, `pid=4000 minor=0 state=0x20 args=vhd:${leaf}\n`);
  assert.deepEqual((await x.list())[0], { pid: 4000, minor: 0, state: 0x20, type: 'vhd', path: leaf });
  assert.deepEqual(await tc('pause', '-p', '4000', '-m', '0'), { code: 0, out: '', err: '' }, 'pausing a paused VBD pauses it again');
  await x.unpause(4000, 0, leaf);
  assert.deepEqual(await tc('unpause', '-p', '4000', '-m', '0'), { code: 22, out: '', err: 'Invalid argument\n' }, 'not paused: EINVAL');
  assert.deepEqual(await tc('pause', '-p', '4000', '-m', '0', '-t', '5'), { code: 22, out: '', err: 'usage: pause <-p pid> <-m minor> [-t timeout secs]\nInvalid argument\n' }, 'pause -t is broken upstream');
  assert.deepEqual(await tc('pause', '-p', '4999', '-m', '0'), { code: 2, out: '', err: 'No such file or directory\n' });
  assert.deepEqual(await tc('pause', '-p', '4000', '-m', '5'), { code: 19, out: '', err: 'No such device\n' });
  assert.deepEqual(await tc('pause', '-p', '4000'), { code: 22, out: '', err: 'usage: pause <-p pid> <-m minor> [-t timeout secs]\nInvalid argument\n' });
  // every call, exactly: ExecTapCtl's are `list`, `pause -p P -m M`, `unpause -p P -m M -a vhd:PATH` (never `pause -t`)
  assert.deepEqual(await logLines(log), [
    'list',
    'pause -p 4000 -m 0',
    'list -m 0',
    'list',
    'pause -p 4000 -m 0',
    `unpause -p 4000 -m 0 -a vhd:${leaf}`,
    'unpause -p 4000 -m 0 => failed',
    'pause -p 4000 -m 0 -t 5 => failed',
    'pause -p 4999 -m 0 => failed',
    'pause -p 4000 -m 5 => failed',
    'pause -p 4000 => failed',
  ]);
});

test('refusals: only external snapshots of tap+vhd disks with ASCII file names', () => {
  const b = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  const disk = { vdev: 'xvda', path: '/x.vhd', format: 'vhd', backend: 'tap' as const, readonly: false, cdrom: false };
  assert.equal(b.refusal(disk, 'external'), null);
  assert.equal(b.refusal(disk, 'internal'), 'VHD has no internal snapshots');
  assert.equal(b.refusal({ ...disk, backend: 'qdisk' }, 'external'), 'the blktap backend handles tap disks, not qdisk');
  assert.equal(b.refusal({ ...disk, format: 'qcow2' }, 'external'), 'the blktap backend needs VHD images, not qcow2');
  assert.equal(b.refusal({ ...disk, cdrom: true }, 'external'), 'CD-ROM drives are not snapshotted');
  assert.equal(b.refusal({ ...disk, path: '/srv/диск.vhd' }, 'external'), 'blktap can only decode ASCII parent names, and the image name "диск.vhd" is not ASCII');
  assert.equal(b.refusal({ ...disk, path: '/srv/диск/x.vhd' }, 'external'), null, 'only the name becomes a parent name; children name it ./x@snap.vhd');
});

test('a running domain: every tapdisk paused before the first change, all unpaused after', async (t) => {
  const { domain, log } = await fixture(t);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  const records = await backend.create({ domain, disks: domain.disks, snapshot: 'snap1', type: 'external' }, recordingJournal(log));
  const steps = (vdev: string): string[] => ['link-frozen', 'create-child', 'swap-leaf'].flatMap((s) => [`journal intent blktap.${s}:${vdev}`, `journal done blktap.${s}:${vdev}`]);
  assert.deepEqual(await logLines(log), ['list', pause(0), pause(1), ...steps('xvda'), ...steps('xvdb'), unpause(domain, 0), unpause(domain, 1)]);
  assert.deepEqual(records.map((r) => r.frozenPath), domain.disks.map((d) => frozenImagePath(d.path, 'snap1')));
  await writeFile(log, '');
  const progress: string[] = [];
  await backend.delete({ domain, snapshot: 'snap1', type: 'external', disks: records }, recordingJournal(log), (e) => progress.push(`${e.step} ${e.done}/${e.total}`));
  const del = (vdev: string): string[] => ['stream', 'relink', 'remove-frozen'].flatMap((s) => [`journal intent blktap.${s}:${vdev}`, `journal done blktap.${s}:${vdev}`]);
  assert.deepEqual(await logLines(log), ['list', pause(0), pause(1), ...del('xvda'), ...del('xvdb'), unpause(domain, 0), unpause(domain, 1)]);
  assert.deepEqual(progress, ['blktap.stream:xvda 0/1', 'blktap.stream:xvda 1/1', 'blktap.stream:xvdb 0/1', 'blktap.stream:xvdb 1/1']);
  for (const [i, d] of domain.disks.entries()) {
    const want = Buffer.alloc(4 * MiB);
    want.fill(i + 1, 0, MiB);
    assert.deepEqual(await ownComposed(d.path), want);
  }
});

test('a failing change still unpauses every tapdisk, and rolls the first disk back', async (t) => {
  const { dir, domain, log } = await fixture(t);
  // A stale new-child file of a crashed run makes the second disk's freeze fail after the first's.
  await writeFile(`${domain.disks[1]!.path}.xensnap-new`, 'stale');
  const before = await snapshotOfFiles(dir);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  const journal = recordingJournal(log);
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's', type: 'external' }, journal), { code: 'EEXIST' });
  const lines = await logLines(log);
  assert.deepEqual(lines.slice(0, 3), ['list', pause(0), pause(1)]);
  assert.deepEqual(lines.slice(-2), [unpause(domain, 0), unpause(domain, 1)]);
  assert.ok(lines.includes('journal intent blktap.rollback:xvda') && lines.includes('journal done blktap.rollback:xvda'));
  assert.deepEqual(await snapshotOfFiles(dir), before, 'nothing left behind');
});

test('a failing pause unpauses the tapdisks already paused; nothing changes', async (t) => {
  const { dir, domain, log } = await fixture(t);
  process.env.XENSNAP_TAPCTL_FAIL = 'pause:1';
  t.after(() => void delete process.env.XENSNAP_TAPCTL_FAIL);
  const before = await snapshotOfFiles(dir);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's', type: 'external' }, recordingJournal(log)), /tap-ctl failed \(command: tap-ctl pause -p 4001 -m 1; exit code: 5; stderr: Input\/output error\)/);
  assert.deepEqual(await logLines(log), ['list', pause(0), `${pause(1)} => failed`, unpause(domain, 0)]);
  assert.deepEqual(await snapshotOfFiles(dir), before);
});

test('a failing unpause is reported after every other tapdisk was unpaused', async (t) => {
  const { domain, log, state } = await fixture(t);
  process.env.XENSNAP_TAPCTL_FAIL = 'unpause:0';
  t.after(() => void delete process.env.XENSNAP_TAPCTL_FAIL);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's', type: 'external' }, recordingJournal()), /^BackendError: unpause of tapdisk pid 4000 minor 0 failed: tap-ctl failed/);
  assert.deepEqual((await logLines(log)).slice(-2), [`${unpause(domain, 0)} => failed`, unpause(domain, 1)]);
  const st = JSON.parse(await readFile(state, 'utf8')) as { tapdisks: { paused: boolean }[] };
  assert.deepEqual(st.tapdisks.map((x) => x.paused), [true, false]);
});

test('a disk with no tapdisk is refused before anything is paused', async (t) => {
  const { dir, domain, log, state } = await fixture(t);
  await writeFile(state, JSON.stringify({ tapdisks: [{ pid: 4000, minor: 0, args: `vhd:${domain.disks[0]!.path}`, paused: false }] }));
  const before = await snapshotOfFiles(dir);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's', type: 'external' }, recordingJournal()), {
    name: 'BackendError',
    message: `no tapdisk serves ${domain.disks[1]!.path} (not in tap-ctl list) (command: tap-ctl list)`,
  });
  assert.deepEqual(await logLines(log), ['list']);
  assert.deepEqual(await snapshotOfFiles(dir), before);
});

test('a fixed-size VHD leaf is refused before anything changes', async (t) => {
  const { dir, cleanup } = await tempDir('blktap-fixed');
  t.after(cleanup);
  const domain = makeDomain(dir, 1, 'shutoff');
  await run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', domain.disks[0]!.path, '4M']);
  const before = await snapshotOfFiles(dir);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl('/nonexistent/tap-ctl') });
  await assert.rejects(backend.create({ domain, disks: domain.disks, snapshot: 's', type: 'external' }, recordingJournal()), {
    name: 'BackendError',
    message: `${domain.disks[0]!.path} is a fixed-size VHD; blktap snapshots need a dynamic or differencing leaf`,
  });
  assert.deepEqual(await snapshotOfFiles(dir), before);
});
