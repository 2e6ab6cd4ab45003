import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { noJournal } from '../../../src/backends/backend.js';
import { readHeaderShared } from '../../../src/backends/qdisk/online-image-info.js';
import { QdiskBackend } from '../../../src/backends/qdisk/qdisk-backend.js';
import { QmpClient } from '../../../src/qmp/qmp-client.js';
import { startVm } from '../../util/qemu-vm.js';
import { assertContent, check, DiskModel, guestFlush, guestWrite, makeDisks, runningDomain, tempDir } from './online-fixture.js';

const MiB = 1024 * 1024;

test('internal snapshots on 3 running disks: one transaction, duplicates refused, deletes', async (t) => {
  const dir = await tempDir(t, 'onl-int');
  const disks = await makeDisks(dir, 3, 2);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const backend = new QdiskBackend({ connect: (d) => QmpClient.connect(d.qmp!) });
  const domain = runningDomain(disks, vm.qmpPath);
  const models = disks.map(() => new DiskModel(2 * MiB));
  for (let i = 0; i < 3; i++) await guestWrite(c, i, models[i]!, 0x10 + i, i * 4096, 70_144);
  const tables = () => Promise.all(disks.map(async (d) => (await readHeaderShared(d.path)).snapshots));

  const recs = await backend.create({ domain, disks, snapshot: 'i1', type: 'internal' }, noJournal);
  assert.deepEqual(recs, disks.map((d) => ({ vdev: d.vdev, format: 'qcow2', backend: 'qdisk', tag: 'i1' })));
  assert.deepEqual(await tables(), [['i1'], ['i1'], ['i1']]);
  const at1 = models.map((m) => m.snapshot());
  for (let i = 0; i < 3; i++) await guestWrite(c, i, models[i]!, 0x20 + i, 512, 4096);

  await assert.rejects(backend.create({ domain, disks, snapshot: 'i1', type: 'internal' }, noJournal), {
    message: `disk xvda: an internal snapshot named "i1" already exists in ${disks[0]!.path}`,
  });
  // A name present on one disk only: refused before any disk gets it.
  await backend.create({ domain, disks: [disks[2]!], snapshot: 'i2', type: 'internal' }, noJournal);
  await assert.rejects(backend.create({ domain, disks, snapshot: 'i2', type: 'internal' }, noJournal), {
    message: `disk xvdc: an internal snapshot named "i2" already exists in ${disks[2]!.path}`,
  });
  assert.deepEqual(await tables(), [['i1'], ['i1'], ['i1', 'i2']]);

  for (let i = 0; i < 3; i++) await guestFlush(c, i);
  for (let i = 0; i < 3; i++) await assertContent(dir, disks[i]!.path, at1[i]!, 'i1');

  await backend.delete({ domain, snapshot: 'i1', type: 'internal', disks: recs }, noJournal);
  assert.deepEqual(await tables(), [[], [], ['i2']]);
  // A retried delete finds nothing left to do.
  await backend.delete({ domain, snapshot: 'i1', type: 'internal', disks: recs }, noJournal);

  // Once an external snapshot froze the image holding the tag, QEMU cannot delete it live.
  await backend.create({ domain, disks: [disks[2]!], snapshot: 'e1', type: 'external' }, noJournal);
  await assert.rejects(
    backend.delete({ domain, snapshot: 'i2', type: 'internal', disks: [{ vdev: 'xvdc', format: 'qcow2', backend: 'qdisk', tag: 'i2' }] }, noJournal),
    {
      message: `cannot delete snapshot "i2" from disk xvdc: internal snapshot "i2" lives in ${join(dir, 'xvdc@e1.qcow2')}, below the active image of the running domain; QEMU deletes internal snapshots only in the active image, so it is deleted once the domain is shut off; nothing was changed`,
    },
  );
  c.close();
  await vm.stop();
  for (let i = 0; i < 3; i++) {
    await check(disks[i]!.path);
    await assertContent(dir, disks[i]!.path, models[i]!.data);
  }
});
