// create / delete / pin / unpin against the qemu lab: a running QEMU (web-3) and a shut-off db-1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createLab, destroyLab, type Lab } from '../../src/lab/create-lab.js';
import { assertCleanImage, sameContent, saveReference, writePattern } from '../util/image-refs.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { chainOf, cli, internalTags, journalFiles, treeState } from './one-off-helpers.js';

const exec = promisify(execFile);
const WEB3 = '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10';
const DB1 = '7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b';

let lab: Lab;
let img: (n: string) => string;
let state: string;
test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-oneoff-'));
  lab = await createLab(join(dir, 'lab'));
  img = (n) => join(lab.dir, 'images', n);
  state = join(lab.dir, 'state');
});
test.after(async () => {
  await destroyLab(lab.dir);
  await rm(dirname(lab.dir), { recursive: true, force: true });
});

const run = (...args: string[]) => cli(lab.qemuConfig, ...args);
const world = () => treeState(join(lab.dir, 'images'), state);

test('create on the shut-off db-1: external, named, described, pinned; JSON exact; record manual; delete merges it away', async () => {
  const r = await run('create', 'db-1', '-n', 'pre-upgrade', '--description', 'before the upgrade', '--pin', '--json');
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), {
    formatVersion: 1, command: 'create', recovered: [], domain: { key: DB1, uuid: DB1, name: 'db-1' }, snapshot: 'pre-upgrade',
    mode: 'disk-only', type: 'external', disks: ['xvda', 'xvdb'], description: 'before the upgrade', pinned: true, status: 'ok', message: null, warnings: [],
  });
  const rec = JSON.parse(await readFile(join(state, DB1, 'snapshotdata-pre-upgrade.json'), 'utf8'));
  assert.deepEqual([rec.policy, rec.slot, rec.managedBy, rec.pinned, rec.description, rec.mode, rec.type, rec.domainState], [null, null, 'xensnap', true, 'before the upgrade', 'disk-only', 'external', 'shutoff']);
  assert.deepEqual(rec.disks.map((d: { vdev: string; frozenPath: string }) => [d.vdev, d.frozenPath]), [
    ['xvda', img('db-1-xvda@pre-upgrade.qcow2')], ['xvdb', img('db-1-xvdb@pre-upgrade.qcow2')],
  ]);
  assert.deepEqual(await chainOf(img('db-1-xvda.qcow2')), [img('db-1-xvda.qcow2'), img('db-1-xvda@pre-upgrade.qcow2'), img('base-template.qcow2')]);
  await assertCleanImage(img('db-1-xvda.qcow2'), 'qcow2');
  assert.deepEqual(await journalFiles(state), []);

  // list: origin manual, pinned
  const l = await run('list', 'db-1');
  assert.match(l.out, /^db-1 +pre-upgrade +\S+ +manual \(pinned\) +disk-only +external +shutoff +xvda,xvdb$/m);

  // a pinned snapshot is refused by delete, nothing changes
  const before = await world();
  const refused = await run('delete', 'db-1', 'pre-upgrade', '--yes');
  assert.equal(refused.code, 1);
  assert.equal(refused.err, 'delete: snapshot "pre-upgrade" of db-1 is pinned (manual); nothing was changed; unpin it first: xensnap unpin db-1 pre-upgrade\n');
  assert.deepEqual(await world(), before);

  const un = await run('unpin', 'db-1', 'pre-upgrade');
  assert.equal(un.code, 0);
  assert.equal(un.out, 'unpinned snapshot pre-upgrade of db-1 (manual): as a manual snapshot, retention still never deletes it\n');
  assert.equal(JSON.parse(await readFile(join(state, DB1, 'snapshotdata-pre-upgrade.json'), 'utf8')).pinned, false);
  const again = await run('unpin', 'db-1', 'pre-upgrade');
  assert.deepEqual([again.code, again.out], [0, 'snapshot pre-upgrade of db-1 is already not pinned; nothing was changed\n']);

  // the guest writes after the snapshot; deleting the snapshot must keep what the leaf shows
  await writePattern(img('db-1-xvda.qcow2'), 'qcow2', 0x77, 4 << 20, 65536);
  const ref = join(lab.dir, 'db-1-xvda.ref.raw');
  await saveReference(img('db-1-xvda.qcow2'), 'qcow2', ref);
  const d = await run('delete', 'db-1', 'pre-upgrade', '--yes');
  assert.equal(d.err, '');
  assert.equal(d.code, 0);
  const lines = d.out.split('\n');
  assert.equal(lines[0], 'Delete snapshot pre-upgrade of db-1 (manual, external, disks xvda, xvdb):');
  // xvda reads through the foreign base-template (2 images after), xvdb had no base (1)
  for (const [i, v, depth] of [[1, 'xvda', 2], [2, 'xvdb', 1]] as const) {
    assert.match(lines[i]!, new RegExp(`^ {2}${v} (commit \\S+ \\S+ from its child|stream \\S+ \\S+ into its child \\(rebase\\)), needs ~\\S+ \\S+ free, chain depth ${depth} after$`));
  }
  assert.deepEqual(lines.slice(3), ['deleted snapshot pre-upgrade of db-1', '']);
  assert.deepEqual(await chainOf(img('db-1-xvda.qcow2')), [img('db-1-xvda.qcow2'), img('base-template.qcow2')]);
  assert.ok(await sameContent(img('db-1-xvda.qcow2'), 'qcow2', ref, 'raw'), 'the leaf shows what it showed before the delete');
  await assertCleanImage(img('db-1-xvda.qcow2'), 'qcow2');
  await assert.rejects(readFile(join(state, DB1, 'snapshotdata-pre-upgrade.json')), { code: 'ENOENT' });
  assert.deepEqual(await journalFiles(state), []);
  await rm(ref);
});

test('create on the running web-3: internal by default name manual-<epoch>, through QMP; delete --json removes the tags', async () => {
  const t0 = Math.floor(Date.now() / 1000);
  const r = await run('create', 'web-3', '--type', 'internal');
  const t1 = Math.floor(Date.now() / 1000);
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  const m = /^created snapshot manual-(\d+) of web-3 \(disk-only, internal, disks xvda, xvdb\)\n$/.exec(r.out);
  assert.ok(m, r.out);
  const epoch = Number(m[1]);
  assert.ok(epoch >= t0 && epoch <= t1);
  const name = `manual-${epoch}`;
  assert.deepEqual(await internalTags(img('web-3-xvda.qcow2')), ['golden', name]);
  assert.deepEqual(await internalTags(img('web-3-xvdb.qcow2')), [name]);
  const rec = JSON.parse(await readFile(join(state, WEB3, `snapshotdata-${name}.json`), 'utf8'));
  assert.deepEqual([rec.policy, rec.pinned, rec.domainState, rec.description], [null, false, 'running', '']);
  const l = await run('list', 'web-3');
  assert.match(l.out, new RegExp(`^web-3 +${name} +\\S+ +manual +disk-only +internal +running +xvda,xvdb$`, 'm'));
  assert.match(l.out, /^web-3 +golden +\S+ +foreign +- +internal +- +xvda$/m);

  const d = await run('delete', 'web-3', name, '--yes', '--json');
  assert.equal(d.err, '');
  assert.equal(d.code, 0);
  assert.deepEqual(JSON.parse(d.out), {
    formatVersion: 1, command: 'delete', recovered: [], domain: { key: WEB3, uuid: WEB3, name: 'web-3' }, snapshot: name,
    mode: 'disk-only', type: 'internal', disks: ['xvda', 'xvdb'], origin: 'manual', status: 'ok', message: null, warnings: [],
    merge: {
      method: 'delete-tag', bytesToCopy: 0, tempBytes: 2 * 262144, chainDepthAfter: 1,
      disks: ['xvda', 'xvdb'].map((vdev) => ({ vdev, image: img(`web-3-${vdev}.qcow2`), method: 'delete-tag', tag: name, via: 'qmp', bytesToCopy: 0, tempBytes: 262144, chainDepthAfter: 1 })),
    },
  });
  assert.deepEqual(await internalTags(img('web-3-xvda.qcow2')), ['golden']);
  assert.deepEqual(await internalTags(img('web-3-xvdb.qcow2')), []);
  assert.deepEqual(await journalFiles(state), []);
});

/** A guest-like write through the running QEMU (HMP qemu-io on the disk's device). */
async function guestWrite(device: string, cmd: string): Promise<string> {
  const c = await QmpClient.connect(join(lab.dir, 'run', 'web-3.qmp'));
  try {
    return await c.execute<string>('human-monitor-command', { 'command-line': `qemu-io -d ${device} "${cmd}"` });
  } finally {
    c.close();
  }
}

test('external create and delete on the running web-3: the leaf path stays, the chain comes back to one image, data kept', async () => {
  assert.equal(await guestWrite('vd1/virtio-backend', 'write -P 0x55 0 1M'), '');
  const r = await run('create', 'web-3', '-n', 'ext1', '--disks', 'xvdb');
  assert.equal(r.err, '');
  assert.equal(r.out, 'created snapshot ext1 of web-3 (disk-only, external, disk xvdb)\n');
  assert.deepEqual(await chainOf(img('web-3-xvdb.qcow2')), [img('web-3-xvdb.qcow2'), img('web-3-xvdb@ext1.qcow2')]);
  assert.deepEqual(await chainOf(img('web-3-xvda.qcow2')), [img('web-3-xvda.qcow2')]);
  assert.equal(await guestWrite('vd1/virtio-backend', 'write -P 0x66 1M 1M'), '');
  const d = await run('delete', 'web-3', 'ext1', '--yes');
  assert.equal(d.err, '');
  assert.equal(d.code, 0);
  assert.match(d.out, /^Delete snapshot ext1 of web-3 \(manual, external, disk xvdb\):\n {2}xvdb stream \S+ \S+ into its child \(block-stream\), needs ~\S+ \S+ free, chain depth 1 after\ndeleted snapshot ext1 of web-3\n$/);
  assert.deepEqual(await chainOf(img('web-3-xvdb.qcow2')), [img('web-3-xvdb.qcow2')]);
  // QEMU keeps qcow2 metadata in memory: flush it before reading the file from outside
  await guestWrite('vd1/virtio-backend', 'flush');
  const read = await exec('qemu-io', ['-U', '-r', '-f', 'qcow2', '-c', 'read -P 0x55 0 1M', '-c', 'read -P 0x66 1M 1M', img('web-3-xvdb.qcow2')]).catch((e: { stdout: string; stderr: string }) => ({ stdout: e.stdout + e.stderr }));
  assert.match(read.stdout, /^read 1048576\/1048576 bytes at offset 0\n.*\nread 1048576\/1048576 bytes at offset 1048576\n/);
  assert.deepEqual(await journalFiles(state), []);
});

test('deleting an external snapshot whose frozen image holds a foreign internal snapshot of a running domain is refused before anything runs; nothing lost', async () => {
  const r = await run('create', 'web-3', '-n', 'ext2', '--disks', 'xvda');
  assert.equal(r.code, 0, r.err);
  const before = await world();
  const d = await run('delete', 'web-3', 'ext2', '--yes');
  assert.equal(d.code, 1);
  assert.equal(d.out, '');
  assert.equal(d.err, `delete: snapshot "ext2" of web-3 cannot be deleted now: xvda: internal snapshot golden lives in ${img('web-3-xvda@ext2.qcow2')}; committing ${img('web-3-xvda.qcow2')} into it keeps them, but only offline: it is done once the domain is shut off; nothing was changed\n`);
  assert.deepEqual(await world(), before);
  assert.deepEqual(await chainOf(img('web-3-xvda.qcow2')), [img('web-3-xvda.qcow2'), img('web-3-xvda@ext2.qcow2')]);
  assert.deepEqual(await journalFiles(state), []);
});

test('--live on the running web-3: memory saved 0600 beside the record, the domain runs on; delete removes both', async () => {
  const r = await run('create', 'web-3', '-n', 'mem1', '--live', '--disks', 'xvdb', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual([j.snapshot, j.mode, j.type, j.disks, j.status], ['mem1', 'live', 'external', ['xvdb'], 'ok']);
  const dir = join(state, '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10');
  const record = JSON.parse(await readFile(join(dir, 'snapshotdata-mem1.json'), 'utf8'));
  assert.deepEqual([record.mode, record.domainState, record.memoryFile], ['live', 'running', join(dir, 'mem1.save')]);
  const st = await stat(record.memoryFile);
  assert.ok(st.size > 0);
  assert.equal(st.mode & 0o777, 0o600);
  const c = await QmpClient.connect(join(lab.dir, 'run', 'web-3.qmp'));
  try {
    assert.equal((await c.execute<{ status: string }>('query-status')).status, 'running');
  } finally {
    c.close();
  }
  const d = await run('delete', 'web-3', 'mem1', '--yes');
  assert.equal(d.code, 0, d.err);
  await assert.rejects(stat(record.memoryFile), { code: 'ENOENT' });
  await assert.rejects(stat(join(dir, 'snapshotdata-mem1.json')), { code: 'ENOENT' });
  assert.deepEqual(await journalFiles(state), []);
});

test('refusals: taken and invalid names, bad flags, unknown disks and domains, foreign targets — exact messages, nothing changed', async () => {
  const made = await run('create', 'db-1', '-n', 'm1', '--type', 'internal');
  assert.equal(made.code, 0, made.err);
  const before = await world();
  const cases: Array<[string[], string]> = [
    [['create', 'web-3', '-n', 'golden'], 'create: domain web-3 already has a snapshot named "golden" (foreign); nothing was changed; choose another name with -n'],
    [['create', 'db-1', '-n', 'm1'], 'create: domain db-1 already has a snapshot named "m1" (manual); nothing was changed; choose another name with -n'],
    [['create', 'db-1', '-n', 'base-template'], 'create: domain db-1 already has a snapshot named "base-template" (foreign); nothing was changed; choose another name with -n'],
    [['create', 'db-1', '--name=.hidden'], 'create: invalid snapshot name ".hidden": use 1 to 100 letters, digits, \'.\', \'_\' and \'-\', not starting with \'.\' or \'-\''],
    [['create', 'db-1', '-n', 'a/b'], 'create: invalid snapshot name "a/b": use 1 to 100 letters, digits, \'.\', \'_\' and \'-\', not starting with \'.\' or \'-\''],
    [['create', 'db-1', '--type', 'internal', '-n', '12345'], 'create: internal snapshot name "12345" is refused: qemu-img would take a name made only of digits as a snapshot id; use a name with a letter in it'],
    [['create', 'db-1', '--live', '--disk-only'], 'create: --live and --disk-only exclude each other'],
    [['create', 'db-1', '--type', 'snapshot'], 'create: --type must be internal or external, not "snapshot"'],
    [['create', 'db-1', '--disks', 'xvda,xvdz'], 'create: domain db-1 has no disk xvdz (it has xvda, xvdb)'],
    [['create', 'db-1', '--disks', 'xvda,xvda'], 'create: disk xvda is named twice in --disks'],
    [['create', 'db-1', '--bogus'], "create: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\""],
    [['create'], 'create: expected DOMAIN'],
    [['create', 'nosuch'], 'create: no domain named "nosuch" on this host'],
    [['delete', 'web-3', 'golden', '--yes'], 'delete: snapshot "golden" of web-3 is foreign (xensnap has no record of it); nothing was changed; pass --foreign to delete it anyway'],
    [['delete', 'db-1', 'nosuch', '--yes'], 'delete: domain db-1 has no snapshot "nosuch" (see xensnap list db-1)'],
    [['delete', 'db-1'], 'delete: expected DOMAIN SNAPSHOT'],
    [['pin', 'web-3', 'golden'], 'pin: snapshot "golden" of web-3 is foreign: there is no xensnap record to carry a pin; nothing was changed (retention never deletes foreign snapshots)'],
    [['unpin', 'db-1', 'nosuch'], 'unpin: domain db-1 has no snapshot "nosuch" (see xensnap list db-1)'],
  ];
  for (const [args, message] of cases) {
    const r = await run(...args);
    assert.deepEqual([r.code, r.err, r.out], [1, message + '\n', ''], args.join(' '));
  }
  assert.deepEqual(await world(), before);

  // no terminal and no --yes: the preview is shown, then a refusal
  assert.ok(!process.stdin.isTTY, 'the tests run without a terminal on stdin');
  const ask = await run('delete', 'db-1', 'm1');
  assert.equal(ask.code, 1);
  assert.equal(ask.out, 'Delete snapshot m1 of db-1 (manual, internal, disks xvda, xvdb):\n  xvda delete tag m1 (qemu-img)\n  xvdb delete tag m1 (qemu-img)\n');
  assert.equal(ask.err, 'refusing to change anything without a terminal to confirm on: pass --yes\n');
  assert.deepEqual(await world(), before);

  // --foreign: a base image others may share is refused before anything runs
  const base = await run('delete', 'db-1', 'base-template', '--yes', '--foreign');
  assert.deepEqual([base.code, base.err], [1, `delete: ${img('base-template.qcow2')} is the base image of db-1 xvda, which other domains or hosts may share; nothing was changed\n`]);
  assert.deepEqual(await world(), before);
  // --foreign goes through the same graph decision: golden sits in a frozen image of the running
  // web-3, which QEMU cannot drop a tag from live
  const f = await run('delete', 'web-3', 'golden', '--yes', '--foreign');
  assert.equal(f.code, 1);
  assert.equal(f.out, '');
  assert.equal(
    f.err,
    `delete: snapshot "golden" of web-3 cannot be deleted now: xvda: internal snapshot "golden" lives in ${img('web-3-xvda@ext2.qcow2')}, below the active image of the running domain; QEMU deletes internal snapshots only in the active image, so it is deleted once the domain is shut off; nothing was changed\n`,
  );
  assert.deepEqual(await world(), before);
  const p = await run('pin', 'db-1', 'm1');
  assert.deepEqual([p.code, p.out], [0, 'pinned snapshot m1 of db-1 (manual): retention never deletes it\n']);
  const p2 = await run('pin', 'db-1', 'm1');
  assert.deepEqual([p2.code, p2.out], [0, 'snapshot m1 of db-1 is already pinned; nothing was changed\n']);
  assert.deepEqual(await run('unpin', 'db-1', 'm1').then((x) => x.code), 0);
  const gone = await run('delete', 'db-1', 'm1', '--yes');
  assert.equal(gone.code, 0, gone.err);
  assert.deepEqual(await internalTags(img('db-1-xvda.qcow2')), []);
});

test('help: defaults are stated, and the commands come in the contract order', async () => {
  const h = await run('help', 'create');
  assert.match(h.out, /--disk-only {11}disks only, no memory \(the default unless --live\)/);
  assert.match(h.out, /--type TYPE {11}external \(the default/);
  assert.match(h.out, /Default: the epoch seconds/);
  const { commands } = await import('../../src/cli/commands/index.js');
  assert.deepEqual(commands.map((c) => c.name), ['validate', 'plan', 'apply', 'run', 'list', 'revert', 'create', 'delete', 'pin', 'unpin', 'recover', 'simulate', 'status', 'lab']);
  // lab is listed too: `make demo` and the README use it
  assert.deepEqual(commands.filter((c) => c.hidden).map((c) => c.name), []);
});

test('delete also removes a policy snapshot by name (origin: the policy)', async () => {
  const { copyFile, mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(lab.dir, 'db-policies'));
  await copyFile(join(lab.dir, 'policies', 'db.yaml'), join(lab.dir, 'db-policies', 'db.yaml'));
  const config = join(lab.dir, 'config-db.yaml');
  await writeFile(config, (await readFile(lab.qemuConfig, 'utf8')).replace(/^policyDir: .*$/m, `policyDir: ${join(lab.dir, 'db-policies')}`));
  const a = await cli(config, 'apply', '--yes', '--at', '2026-11-26T02:30:00Z');
  assert.equal(a.code, 0, a.err + a.out);
  const name = 'db-daily-20261126T023000Z';
  assert.deepEqual(await internalTags(img('db-1-xvda.qcow2')), [name]);
  const d = await cli(config, 'delete', 'db-1', name, '--yes', '--json');
  assert.equal(d.code, 0, d.err);
  const j = JSON.parse(d.out);
  assert.deepEqual([j.origin, j.type, j.status, j.merge.disks.map((x: { vdev: string; method: string; via: string }) => [x.vdev, x.method, x.via])], ['db-daily', 'internal', 'ok', [['xvda', 'delete-tag', 'qemu-img'], ['xvdb', 'delete-tag', 'qemu-img']]]);
  assert.deepEqual(await internalTags(img('db-1-xvda.qcow2')), []);
  await assert.rejects(readFile(join(state, DB1, `snapshotdata-${name}.json`)), { code: 'ENOENT' });
});

test('create, delete and pin wait for no one: while another xensnap holds the lock they refuse, changing nothing', async () => {
  const { acquireInstanceLock } = await import('../../src/apply/instance-lock.js');
  const lock = await acquireInstanceLock(state, 'run');
  try {
    const before = await world();
    for (const args of [['create', 'db-1', '-n', 'locked'], ['delete', 'web-3', 'golden', '--yes'], ['pin', 'web-3', 'golden']]) {
      const r = await run(...args);
      assert.deepEqual([r.code, r.err], [1, `another xensnap (pid ${process.pid}) holds the lock ${join(state, '.lock')}\n`], args.join(' '));
    }
    assert.deepEqual(await world(), before);
  } finally {
    await lock.release();
  }
});

test('delete --foreign removes a foreign internal snapshot of the shut-off db-1 through the backend, no record involved', async () => {
  await promisify(execFile)('qemu-img', ['snapshot', '-c', 'by-hand', img('db-1-xvdb.qcow2')]);
  const l = await run('list', 'db-1');
  assert.match(l.out, /^db-1 +by-hand +\S+ +foreign +- +internal +- +xvdb$/m);
  const d = await run('delete', 'db-1', 'by-hand', '--yes', '--foreign');
  assert.deepEqual([d.code, d.err], [0, '']);
  assert.equal(d.out, 'Delete snapshot by-hand of db-1 (foreign, internal, disk xvdb):\n  xvdb delete tag by-hand (qemu-img)\ndeleted snapshot by-hand of db-1\n');
  assert.deepEqual(await internalTags(img('db-1-xvdb.qcow2')), []);
  await assertCleanImage(img('db-1-xvdb.qcow2'), 'qcow2');
  assert.deepEqual(await journalFiles(state), []);
});
