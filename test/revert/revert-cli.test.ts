import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { writeRecord } from '../../src/state/index.js';
import { METADATA_FORMAT_VERSION } from '../../src/model/snapshot.js';
import { RecordingJournal, dirState, makeImage, qdisk, saveReference, testDomain, writePattern } from '../util/image-refs.js';
import { sameBytes } from '../hypervisor/live-vm.js';

const MiB = 1024 * 1024;
const UUID = '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10';

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-rvcli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const images = join(dir, 'images');
  await mkdir(images);
  const leaf = join(images, 'web-1.qcow2');
  await makeImage(leaf, 'qcow2', 8 * MiB);
  await writePattern(leaf, 'qcow2', 0x5a, 0, 65536);
  await saveReference(leaf, 'qcow2', join(dir, 's1.raw'));
  const domain = testDomain([qdisk('xvda', leaf)]);
  const backend = new QdiskBackend({ connect: () => Promise.reject(new Error('shut off')) });
  const disks = await backend.create({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, new RecordingJournal());
  await writePattern(leaf, 'qcow2', 0x6b, 0, 4096);
  const stateDir = join(dir, 'state');
  await writeRecord(stateDir, {
    formatVersion: METADATA_FORMAT_VERSION, name: 's1', description: 'before the upgrade', domain: { uuid: UUID, name: 'web-1' },
    createdAt: '2026-11-20T10:00:00.000Z', slot: null, policy: null, policyRevision: null, deletionPolicy: 'Retain', managedBy: 'xensnap',
    mode: 'disk-only', type: 'external', domainState: 'shutoff', memoryFile: null, pinned: false, disks,
  }, UUID);
  const inventory = join(dir, 'inventory.yaml');
  await writeFile(inventory, `domains:\n  - name: web-1\n    uuid: ${UUID}\n    qmp: ${join(dir, 'web-1.qmp')}\n    disks:\n      - { vdev: xvda, path: ${leaf}, format: qcow2 }\n`);
  const config = join(dir, 'config.yaml');
  await mkdir(join(dir, 'policies'));
  await writeFile(config, `stateDir: ${stateDir}\npolicyDir: ${join(dir, 'policies')}\nhypervisor: qemu\nqemu: { inventory: ${inventory} }\n`);
  return { dir, images, leaf, stateDir, config };
}

test('revert without --yes and without a terminal refuses after showing the steps; nothing changes', async (t) => {
  const s = await setup(t);
  const before = await dirState(s.images);
  const out = capture();
  const err = capture();
  const code = await main(['--config', s.config, 'revert', 'web-1', 's1'], { stdout: out.stream, stderr: err.stream, env: {} });
  assert.equal(code, 1);
  assert.equal(err.text(), 'revert: refusing to change domain web-1 without confirmation: standard input is not a terminal; pass --yes\n');
  const lines = out.text().split('\n');
  assert.equal(lines[0], 'Revert domain web-1 to snapshot s1 (external, disks only):');
  assert.match(lines[1]!, /^ {2}1\. keep the current disks as snapshot pre-revert-\d{8}T\d{6}Z \("state before revert to s1", external\)$/);
  assert.equal(lines[2], `  2. xvda: new empty leaf at ${s.leaf} over ${join(s.images, 'web-1@s1.qcow2')}`);
  assert.equal(lines[3], '  3. leave web-1 shut off');
  assert.deepEqual(await dirState(s.images), before);
});

test('revert --yes on a shut-off domain: leaf shows the snapshot, the old leaf is a recorded snapshot', async (t) => {
  const s = await setup(t);
  const out = capture();
  const err = capture();
  const code = await main(['--config', s.config, 'revert', 'web-1', 's1', '--yes'], { stdout: out.stream, stderr: err.stream, env: {} });
  assert.equal(err.text(), '');
  assert.equal(code, 0);
  assert.match(out.text(), /\nreverted web-1 to s1; the previous state is snapshot pre-revert-\d{8}T\d{6}Z; web-1 is shut off\n$/);
  assert.ok(await sameBytes(s.leaf, 'qcow2', join(s.dir, 's1.raw')));
  const names = (await readdir(join(s.stateDir, UUID))).sort();
  assert.equal(names.length, 2);
  assert.match(names[0]!, /^snapshotdata-pre-revert-\d{8}T\d{6}Z\.json$/);
  assert.equal(names[1], 'snapshotdata-s1.json');
  assert.deepEqual(await readdir(join(s.stateDir, '.journal')), [], 'the journal was ended');
});

test('revert of an unknown snapshot names it', async (t) => {
  const s = await setup(t);
  const err = capture();
  const code = await main(['--config', s.config, 'revert', 'web-1', 'nope', '--yes'], { stdout: capture().stream, stderr: err.stream, env: {} });
  assert.equal(code, 1);
  assert.equal(err.text(), 'revert: domain web-1 has no snapshot "nope" (see xensnap list web-1)\n');
});
