import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, deleteOffline, qdiskRefusal } from '../../../src/backends/qdisk/offline.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { noJournal } from '../../../src/backends/backend.js';
import { dirState, makeImage, qdisk, testDomain, writePattern } from '../../util/image-refs.js';

const MiB = 1 << 20;

test('a running or paused domain is refused before any qemu-img call, for create and delete', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-guard-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.qcow2');
  await makeImage(a, 'qcow2', 4 * MiB);
  await writePattern(a, 'qcow2', 0x11, 0, 4096);
  await img.snapshotCreate(a, 'old');
  const before = await dirState(dir);
  for (const state of ['running', 'paused'] as const) {
    const domain = testDomain([qdisk('xvda', a)], state);
    const tail = `the domain is ${state}; qemu-img may only change images of a shut-off domain (Xen's qdisk opens images with locking off, so nothing else stops a conflicting write)`;
    for (const type of ['internal', 'external'] as const) {
      await assert.rejects(createOffline({ domain, disks: domain.disks, snapshot: 'new', type }, noJournal), {
        name: 'BackendError',
        message: `cannot snapshot the disks of domain "web-1" with qemu-img: ${tail}`,
      });
      await assert.rejects(
        deleteOffline({ domain, snapshot: 'old', type, disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'old', frozenPath: join(dir, 'a@old.qcow2') }] }, noJournal),
        { name: 'BackendError', message: `cannot delete snapshot "old" of domain "web-1" with qemu-img: ${tail}` },
      );
    }
  }
  assert.deepEqual(await dirState(dir), before);
  assert.deepEqual((await img.info(a)).snapshots.map((s) => s.name), ['old']);
});

test('raw leaves, vhd, phy and CD-ROM disks are refused with their reason; nothing changes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-guard-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = join(dir, 'r.img');
  await makeImage(r, 'raw', 4 * MiB);
  const before = await dirState(dir);
  const disk = qdisk('xvda', r, 'raw');
  const domain = testDomain([disk]);
  await assert.rejects(createOffline({ domain, disks: [disk], snapshot: 's', type: 'external' }, noJournal), {
    name: 'BackendError',
    message: `cannot take an external snapshot of disk xvda (${r}): raw leaf: an external snapshot would put a qcow2 overlay at the configured path, so the configuration would have to change the disk format to qcow2`,
  });
  await assert.rejects(createOffline({ domain, disks: [disk], snapshot: 's', type: 'internal' }, noJournal), {
    message: `cannot take an internal snapshot of disk xvda (${r}): raw images have no internal snapshots (internal snapshots need qcow2)`,
  });
  assert.deepEqual(await dirState(dir), before);
  assert.equal(qdiskRefusal(qdisk('xvda', '/x.vhd', 'vhd'), 'external'), "qdisk+vhd is refused: QEMU's vpc driver ignores VHD parents");
  assert.equal(qdiskRefusal({ ...qdisk('xvda', '/dev/vg/x', 'raw'), backend: 'phy' }, 'external'), 'phy disks (block devices) cannot be snapshotted');
  assert.equal(qdiskRefusal({ ...qdisk('hdc', '/x.iso', 'raw'), cdrom: true }, 'external'), 'CD-ROM drives are not snapshotted');
  assert.equal(qdiskRefusal(qdisk('xvda', '/x.qcow2'), 'internal'), null);
  assert.equal(qdiskRefusal({ ...qdisk('xvda', '/x.qcow2'), backend: 'standalone' }, 'external'), null);
});

test('bad names and a disk selected twice are refused', async () => {
  const d = qdisk('xvda', '/nonexistent/a.qcow2');
  const domain = testDomain([d]);
  await assert.rejects(createOffline({ domain, disks: [d], snapshot: '../x', type: 'external' }, noJournal), {
    name: 'UserInputError',
    message: `snapshot name "../x" is invalid: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`,
  });
  await assert.rejects(createOffline({ domain, disks: [d, { ...d, vdev: 'xvdb' }], snapshot: 's', type: 'internal' }, noJournal), {
    name: 'BackendError',
    message: 'disk image /nonexistent/a.qcow2 is selected twice in snapshot "s"',
  });
  await assert.rejects(
    deleteOffline({ domain, snapshot: 's', type: 'external', disks: [{ vdev: 'xvdz', format: 'qcow2', backend: 'qdisk', frozenPath: '/x' }] }, noJournal),
    { name: 'BackendError', message: 'domain "web-1" has no disk xvdz any more; the snapshot\'s images cannot be located' },
  );
});
