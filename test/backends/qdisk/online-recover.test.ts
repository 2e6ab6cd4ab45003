import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RecoveryStep, StepJournal } from '../../../src/backends/backend.js';
import { stepLabel } from '../../../src/journal/step-names.js';
import { createExternalOnline } from '../../../src/backends/qdisk/online-external-create.js';
import { deleteQdiskSnapshot } from '../../../src/backends/qdisk/graph-delete.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import { readHeaderShared } from '../../../src/backends/qdisk/online-image-info.js';
import { QdiskBackend } from '../../../src/backends/qdisk/qdisk-backend.js';
import { QmpClient } from '../../../src/qmp/qmp-client.js';
import { startVm } from '../../util/qemu-vm.js';
import { assertContent, check, DiskModel, guestFlush, guestWrite, listDir, makeDisks, nodeNames, runningDomain, tempDir } from './online-fixture.js';

/** Records intents with their details, the way the apply journal hands them back after a crash. */
class Journal implements StepJournal {
  readonly steps: RecoveryStep[] = [];
  constructor(private readonly stopAt?: string) {}
  async intent(step: string, detail: object) {
    this.steps.push({ step, detail: detail as Record<string, unknown>, done: false });
    if (stepLabel(step, detail) === this.stopAt) await new Promise<never>(() => {}); // xensnap "dies" here
  }
  async done(step: string) {
    this.steps.find((s) => s.step === step && !s.done)!.done = true;
  }
}

const never = () => new Promise<never>(() => {});
const backend = new QdiskBackend({ connect: (d) => QmpClient.connect(d.qmp!) });

for (const qemuAlive of [true, false]) {
  test(`an online external create that stopped after the leaf switch is rolled back (QEMU ${qemuAlive ? 'alive' : 'dead'})`, async (t) => {
    const dir = await tempDir(t, 'onl-rec');
    const disks = await makeDisks(dir, 2, 2);
    const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
    t.after(() => vm.stop());
    const c = await vm.client();
    t.after(() => c.close());
    const models = [new DiskModel(2 << 20), new DiskModel(2 << 20)];
    for (let i = 0; i < 2; i++) await guestWrite(c, i, models[i]!, 0x71 + i, 1024, 200_192);
    const files = await listDir(dir);
    const nodes = await nodeNames(c);
    const inodes = await Promise.all(disks.map((d) => stat(d.path).then((s) => s.ino)));
    const j = new Journal();
    void createExternalOnline(c, disks, 's1', j, undefined, {
      afterStep: async (s) => {
        if (s !== 'qdisk-online.add-overlay-nodes:xvdb') return;
        if (!qemuAlive) await vm.kill();
        await never();
      },
    });
    while (!j.steps.some((s) => s.step === 'qdisk-online.add-overlay-nodes' && s.detail.vdev === 'xvdb' && s.done)) await new Promise((r) => setTimeout(r, 10));
    if (!qemuAlive) await vm.kill();
    const domain = runningDomain(disks, vm.qmpPath, qemuAlive ? 'running' : 'shutoff');
    const rep = await backend.recover({ action: 'create', domain, snapshot: 's1', type: 'external', steps: j.steps });
    assert.equal(rep.outcome, 'rolled-back');
    assert.deepEqual(await listDir(dir), files);
    for (let i = 0; i < 2; i++) assert.equal((await stat(disks[i]!.path)).ino, inodes[i]);
    if (qemuAlive) {
      assert.deepEqual(await nodeNames(c), nodes);
      for (let i = 0; i < 2; i++) {
        await guestWrite(c, i, models[i]!, 0x7a, 0, 512); // the node is back on the leaf path and writable
        await guestFlush(c, i);
      }
      // A second recovery finds nothing to undo.
      assert.equal((await backend.recover({ action: 'create', domain, snapshot: 's1', type: 'external', steps: j.steps })).outcome, 'nothing-to-do');
      assert.deepEqual(await nodeNames(c), nodes);
      c.close();
      await vm.stop();
    }
    for (let i = 0; i < 2; i++) {
      assert.equal((await readHeaderShared(disks[i]!.path)).backingFile, null);
      await check(disks[i]!.path);
      await assertContent(dir, disks[i]!.path, models[i]!.data);
    }
  });
}

test('an online external delete that stopped before its stream is finished, live and then offline', async (t) => {
  const dir = await tempDir(t, 'onl-rec-del');
  const disks = await makeDisks(dir, 1, 2);
  const vm = await startVm({ dir, disks: [{ path: disks[0]!.path }] });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const m = new DiskModel(2 << 20);
  const domain = runningDomain(disks, vm.qmpPath);
  const recs: Record<string, SnapshotDiskRecord[]> = {};
  for (const s of ['a', 'b']) {
    await guestWrite(c, 0, m, s === 'a' ? 0x11 : 0x22, s === 'a' ? 0 : 65536, 131072);
    recs[s] = await backend.create({ domain, disks, snapshot: s, type: 'external' }, new Journal());
  }
  const ref = { b: m.snapshot() };
  await guestWrite(c, 0, m, 0x33, 4096, 512);
  for (const s of ['a', 'b']) {
    const j = new Journal('qdisk-online.stream:xvda');
    // Run the delete on the test's own session, so the stopped one does not hold the domain's socket.
    void deleteQdiskSnapshot({ domain, snapshot: s, type: 'external', disks: recs[s]! }, { domain, client: c, journal: j }).catch(() => {});
    while (!j.steps.length) await new Promise((r) => setTimeout(r, 10));
    if (s === 'b') {
      // The half-done delete holds the domain socket; stop QEMU: recovery now runs offline.
      await guestFlush(c, 0);
      c.close();
      await vm.stop();
    }
    const state = s === 'a' ? 'running' : 'shutoff';
    const rep = await backend.recover({ action: 'delete', domain: { ...domain, state }, snapshot: s, type: 'external', steps: j.steps });
    assert.equal(rep.outcome, 'finished');
    if (s === 'a') {
      assert.equal((await nodeNames(c)).length, 4);
      await assertContent(dir, join(dir, 'xvda@b.qcow2'), ref.b);
    }
  }
  assert.deepEqual(await listDir(dir), ['xvda.qcow2']);
  assert.equal((await readHeaderShared(disks[0]!.path)).backingFile, null);
  await check(disks[0]!.path);
  await assertContent(dir, disks[0]!.path, m.data);
});
