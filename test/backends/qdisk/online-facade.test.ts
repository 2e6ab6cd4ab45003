import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { noJournal } from '../../../src/backends/backend.js';
import type { Disk } from '../../../src/model/domain.js';
import { createOffline } from '../../../src/backends/qdisk/offline.js';
import { QdiskBackend } from '../../../src/backends/qdisk/qdisk-backend.js';
import { QmpClient } from '../../../src/qmp/qmp-client.js';
import { startVm } from '../../util/qemu-vm.js';
import { listDir, makeDisks, runningDomain, tempDir } from './online-fixture.js';

const backend = new QdiskBackend({ connect: (d) => QmpClient.connect(d.qmp!) });

test('refusal matrix', () => {
  const disk = (over: Partial<Disk>): Disk => ({ vdev: 'xvda', path: '/i', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false, ...over });
  const rows: Array<[Partial<Disk>, 'internal' | 'external', string | null]> = [
    [{}, 'internal', null],
    [{}, 'external', null],
    [{ backend: 'standalone' }, 'external', null],
    [{ format: 'raw' }, 'internal', 'raw images have no internal snapshots (internal snapshots need qcow2)'],
    [{ format: 'raw' }, 'external', 'raw leaf: an external snapshot would put a qcow2 overlay at the configured path, so the configuration would have to change the disk format to qcow2'],
    [{ format: 'vhd' }, 'external', "qdisk+vhd is refused: QEMU's vpc driver ignores VHD parents"],
    [{ backend: 'phy', format: 'raw' }, 'external', 'phy disks (block devices) cannot be snapshotted'],
    [{ backend: 'tap', format: 'vhd' }, 'external', 'backend tap is not served by the qdisk backend'],
    [{ cdrom: true, readonly: true }, 'external', 'CD-ROM drives are not snapshotted'],
    [{ readonly: true }, 'internal', 'read-only disks are not snapshotted'],
    [{ format: 'qed' }, 'external', 'format qed is not supported by the qdisk backend'],
  ];
  for (const [over, type, want] of rows) assert.equal(backend.refusal(disk(over), type), want, JSON.stringify([over, type]));
});

test('a domain recorded as shut off whose QMP socket answers gets no qemu-img write', async (t) => {
  const dir = await tempDir(t, 'onl-fac');
  const disks = await makeDisks(dir, 1, 2);
  const vm = await startVm({ dir, disks: [{ path: disks[0]!.path }] });
  t.after(() => vm.stop());
  const before = await listDir(dir);
  const stale = runningDomain(disks, vm.qmpPath, 'shutoff');
  const msg = `domain "t" is recorded as shut off but a QEMU answers on its QMP socket ${vm.qmpPath}; refusing qemu-img writes to images a running QEMU uses`;
  await assert.rejects(backend.create({ domain: stale, disks, snapshot: 's', type: 'external' }, noJournal), { message: msg });
  await assert.rejects(backend.create({ domain: stale, disks, snapshot: 's', type: 'internal' }, noJournal), { message: msg });
  await assert.rejects(
    backend.delete({ domain: stale, snapshot: 's', type: 'internal', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 's' }] }, noJournal),
    { message: msg },
  );
  // The offline half refuses a domain in the running state by itself too.
  await assert.rejects(createOffline({ domain: runningDomain(disks, vm.qmpPath), disks, snapshot: 's', type: 'internal' }, noJournal), (err: Error) => {
    assert.match(err.message, /the domain is running; qemu-img may only change images of a shut-off domain/);
    return true;
  });
  assert.deepEqual(await listDir(dir), before);
});

test('the facade dispatches by state: QMP while running, qemu-img once QEMU is gone', async (t) => {
  const dir = await tempDir(t, 'onl-fac2');
  const disks = await makeDisks(dir, 2, 2);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const domain = runningDomain(disks, vm.qmpPath);
  const recs = await backend.create({ domain, disks, snapshot: 'live', type: 'external' }, noJournal);
  assert.deepEqual(recs.map((r) => r.frozenPath), [join(dir, 'xvda@live.qcow2'), join(dir, 'xvdb@live.qcow2')]);
  await vm.stop();
  // Shut off now (the socket is silent): the offline code deletes the live-made snapshot.
  const off = runningDomain(disks, vm.qmpPath, 'shutoff');
  await backend.delete({ domain: off, snapshot: 'live', type: 'external', disks: recs }, noJournal);
  const left = (await listDir(dir)).filter((f) => f.endsWith('.qcow2'));
  assert.deepEqual(left, ['xvda.qcow2', 'xvdb.qcow2']);
});
