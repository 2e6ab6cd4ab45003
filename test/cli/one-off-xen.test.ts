// create / delete on the xen lab: xl.cfg domains (qcow2 on qdisk, VHD on tap), `xl` a stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLab, destroyLab, type Lab } from '../../src/lab/create-lab.js';
import { sameContent, saveReference } from '../util/image-refs.js';
import { chainOf, internalTags, journalFiles, spawnCli, STUBS, treeState } from './one-off-helpers.js';

const APP1 = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

let lab: Lab;
let img: (n: string) => string;
let state: string;
test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-oneoff-xen-'));
  lab = await createLab(join(dir, 'lab'));
  img = (n) => join(lab.dir, 'images', n);
  state = join(lab.dir, 'state');
});
test.after(async () => {
  await destroyLab(lab.dir);
  await rm(dirname(lab.dir), { recursive: true, force: true });
});

const xen = (...args: string[]) => spawnCli(lab.xenConfig, args, { PATH: `${STUBS}:${process.env.PATH}`, XENSNAP_XL_STATE: lab.xlState });

interface ListJson {
  domains: Array<{ domain: { name: string }; disks: Array<{ vdev: string; chain: Array<{ path: string; format: string }> }> }>;
  snapshots: Array<{ name: string; managed: boolean; type: string; record: { policy: string | null } | null }>;
  findings: Array<{ kind: string; message: string }>;
}

async function listed(domain: string): Promise<ListJson> {
  const r = await xen('list', domain, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as ListJson;
}

test('VHD on tap (legacy-1, no uuid): external create under the epoch name, then delete merges it back', async () => {
  const ref = join(lab.dir, 'legacy.ref.raw');
  await saveReference(img('legacy-1-xvda.vhd'), 'vpc', ref);
  const t0 = Math.floor(Date.now() / 1000);
  const c = await xen('create', 'legacy-1');
  assert.equal(c.err, '');
  assert.equal(c.code, 0);
  const m = /^created snapshot (\d+) of legacy-1 \(disk-only, external, disk xvda\)\n$/.exec(c.out);
  assert.ok(m, c.out);
  assert.ok(Number(m[1]) >= t0 && Number(m[1]) <= Math.floor(Date.now() / 1000));
  const name = m[1]!;
  const frozen = img(`legacy-1-xvda@${name}.vhd`);
  const rec = JSON.parse(await readFile(join(state, 'name-legacy-1', `snapshotdata-${name}.json`), 'utf8'));
  assert.deepEqual([rec.policy, rec.managedBy, rec.type, rec.disks], [null, 'xensnap', 'external', [{ vdev: 'xvda', format: 'vhd', backend: 'tap', frozenPath: frozen }]]);
  let l = await listed('legacy-1');
  assert.deepEqual(l.domains[0]!.disks[0]!.chain.map((x) => [x.path, x.format]), [[img('legacy-1-xvda.vhd'), 'vhd'], [frozen, 'vhd']]);
  assert.deepEqual(l.snapshots.map((s) => [s.name, s.managed, s.record?.policy]), [[name, true, null]]);
  assert.deepEqual(l.findings, []);

  const internal = await xen('create', 'legacy-1', '--type', 'internal', '-n', 'nope');
  assert.deepEqual([internal.code, internal.err], [1, 'create: disk xvda (tap, vhd) cannot take an internal snapshot: VHD has no internal snapshots; nothing was changed\n']);

  const d = await xen('delete', 'legacy-1', name, '--yes');
  assert.equal(d.err, '');
  assert.equal(d.code, 0);
  assert.match(d.out, new RegExp(`^Delete snapshot ${name} of legacy-1 \\(manual, external, disk xvda\\):\\n {2}xvda stream \\S+ \\S+ into its child \\(vhd-stream\\), needs ~\\S+ \\S+ free, chain depth 1 after\\ndeleted snapshot ${name} of legacy-1\\n$`));
  l = await listed('legacy-1');
  assert.deepEqual(l.domains[0]!.disks[0]!.chain.map((x) => x.path), [img('legacy-1-xvda.vhd')]);
  assert.deepEqual(l.snapshots, []);
  await assert.rejects(access(frozen), { code: 'ENOENT' });
  assert.ok(await sameContent(img('legacy-1-xvda.vhd'), 'vpc', ref, 'raw'), 'the VHD shows the same bytes as before');
  assert.deepEqual(await journalFiles(state), []);
  await rm(ref);
});

test('qcow2 on qdisk under xen (app-1): internal and external one-offs side by side, deleted by name', async () => {
  const i = await xen('create', 'app-1', '--type', 'internal', '-n', 'before-patch', '--json');
  assert.equal(i.code, 0, i.err);
  assert.deepEqual(JSON.parse(i.out), {
    formatVersion: 1, command: 'create', recovered: [], domain: { key: APP1, uuid: APP1, name: 'app-1' }, snapshot: 'before-patch',
    mode: 'disk-only', type: 'internal', disks: ['xvda', 'xvdb'], description: '', pinned: false, status: 'ok', message: null, warnings: [],
  });
  const e = await xen('create', 'app-1', '-n', 'ext', '--disks', 'xvdb', '--description', 'xvdb only');
  assert.deepEqual([e.code, e.out, e.err], [0, 'created snapshot ext of app-1 (disk-only, external, disk xvdb)\n', '']);
  assert.deepEqual(await internalTags(img('app-1-xvda.qcow2')), ['before-patch']);
  assert.deepEqual(await chainOf(img('app-1-xvdb.qcow2')), [img('app-1-xvdb.qcow2'), img('app-1-xvdb@ext.qcow2')]);
  const l = await listed('app-1');
  assert.deepEqual(l.snapshots.map((s) => [s.name, s.type, s.managed]), [['before-patch', 'internal', true], ['ext', 'external', true]]);
  assert.deepEqual(l.findings, []);

  const taken = await xen('create', 'app-1', '-n', 'before-patch', '--type', 'internal');
  assert.deepEqual([taken.code, taken.err], [1, 'create: domain app-1 already has a snapshot named "before-patch" (manual); nothing was changed; choose another name with -n\n']);

  const before = await treeState(join(lab.dir, 'images'), state);
  const nt = await xen('delete', 'app-1', 'ext');
  assert.deepEqual([nt.code, nt.err], [1, 'refusing to change anything without a terminal to confirm on: pass --yes\n']);
  assert.deepEqual(await treeState(join(lab.dir, 'images'), state), before);

  // the internal tag of xvdb now sits in the frozen image: the backend refuses to merge it away first
  for (const name of ['before-patch', 'ext']) {
    const d = await xen('delete', 'app-1', name, '--yes');
    assert.equal(d.code, 0, d.err);
  }
  assert.deepEqual(await internalTags(img('app-1-xvda.qcow2')), []);
  assert.deepEqual(await internalTags(img('app-1-xvdb.qcow2')), []);
  assert.deepEqual(await chainOf(img('app-1-xvdb.qcow2')), [img('app-1-xvdb.qcow2')]);
  assert.deepEqual((await listed('app-1')).snapshots, []);
  assert.deepEqual(await journalFiles(state), []);
});
