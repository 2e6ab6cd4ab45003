import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExternalOnline } from '../../../src/backends/qdisk/online-external-create.js';
import { deleteQdiskSnapshot } from '../../../src/backends/qdisk/graph-delete.js';
import type { Progress } from '../../../src/backends/backend.js';
import type { Disk } from '../../../src/model/domain.js';
import type { QmpClient } from '../../../src/qmp/qmp-client.js';
import { readHeaderShared } from '../../../src/backends/qdisk/online-image-info.js';
import { humanMonitor } from '../../../src/qmp/human-monitor.js';
import { run } from '../../../src/util/exec.js';
import { startVm } from '../../util/qemu-vm.js';
import { assertContent, DiskModel, guestFlush, guestWrite, makeDisks, runningDomain, tempDir } from './online-fixture.js';
import { RecordingJournal } from '../../util/image-refs.js';

/** qemu-img check's JSON verdict: corruptions and check errors must be zero (a crash may leak clusters). */
async function checkNoCorruption(image: string): Promise<void> {
  let out: string;
  try {
    out = (await run('qemu-img', ['check', '--output=json', image])).stdout;
  } catch {
    // Exit 3 means leaked clusters only (run() keeps no stdout on failure): repair just the leaks and read the verdict.
    out = (await run('qemu-img', ['check', '--output=json', '-r', 'leaks', image])).stdout;
  }
  const r = JSON.parse(out) as { corruptions?: number; 'check-errors'?: number };
  assert.equal(r.corruptions ?? 0, 0, `${image}: corruptions`);
  assert.equal(r['check-errors'] ?? 0, 0, `${image}: check errors`);
}

/** Deletes external snapshot `frozen` of a running one-disk domain over `c`. */
function deleteOnline(c: QmpClient, disk: Disk, qmp: string, frozen: string, j: RecordingJournal, progress?: Progress): Promise<void> {
  const domain = runningDomain([disk], qmp);
  return deleteQdiskSnapshot({ domain, snapshot: 's1', type: 'external', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: frozen }] }, { domain, client: c, journal: j, ...(progress ? { progress } : {}) });
}

test('QEMU killed mid-stream: a clear error, a valid chain, and a retry that finishes', async (t) => {
  const dir = await tempDir(t, 'onl-crash');
  const [disk] = await makeDisks(dir, 1, 512);
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x44 0 384M', disk!.path], { timeoutMs: 60_000 });
  let vm = await startVm({ dir, disks: [{ path: disk!.path }] });
  t.after(() => vm.stop());
  let c = await vm.client();
  await createExternalOnline(c, [disk!], 's1', new RecordingJournal());
  await humanMonitor(c, `qemu-io -d /machine/peripheral/vd0/virtio-backend "write -P 0x55 ${100 * 1024 * 1024} 4096"`);
  await guestFlush(c, 0);
  const frozen = join(dir, 'xvda@s1.qcow2');
  const j = new RecordingJournal();
  let killed = false;
  await assert.rejects(
    deleteOnline(c, disk!, vm.qmpPath, frozen, j, (p) => {
      if (!killed && p.step === 'qdisk-online.stream:xvda' && p.done < p.total) {
        killed = true;
        void vm.kill();
      }
    }),
    (err: Error) => {
      assert.equal(err.name, 'BackendError');
      assert.match(err.message, new RegExp(`^QMP connection to ${c.socketPath.replace(/[.]/g, '\\.')} closed while waiting for job xs-stream-[0-9a-f]{6} to conclude \\(command: qmp query-jobs xs-stream-`));
      return true;
    },
  );
  assert.ok(killed, 'the stream was still running when QEMU was killed');
  assert.deepEqual(j.lines, ['intent:qdisk-online.stream:xvda']);
  c.close();
  await vm.kill();
  // The job never completed, so no header was rewritten: the leaf still reads through s1.
  assert.equal((await readHeaderShared(disk!.path)).backingFile, frozen);
  await checkNoCorruption(disk!.path);
  await verifyPatterns(disk!.path);
  // Rerun the delete on a restarted QEMU (its backing nodes now have automatic names).
  vm = await startVm({ dir, disks: [{ path: disk!.path }] });
  c = await vm.client();
  await deleteOnline(c, disk!, vm.qmpPath, frozen, new RecordingJournal());
  c.close();
  await vm.stop();
  await assert.rejects(access(frozen));
  assert.equal((await readHeaderShared(disk!.path)).backingFile, null);
  await checkNoCorruption(disk!.path);
  await verifyPatterns(disk!.path);

});

async function verifyPatterns(image: string): Promise<void> {
  const { stdout } = await run('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -P 0x44 0 100M', '-c', 'read -P 0x55 100M 4k', '-c', `read -P 0x44 ${100 * 1024 * 1024 + 4096} ${284 * 1024 * 1024 - 4096}`, '-c', 'read -P 0 384M 128M', image], { timeoutMs: 60_000 });
  assert.doesNotMatch(stdout, /fail/i, stdout);
}

test('QEMU killed between the leaf switch and the transaction: a restart from the leaf sees every write', async (t) => {
  const dir = await tempDir(t, 'onl-crash2');
  const disks = await makeDisks(dir, 2, 4);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const models = [new DiskModel(4 << 20), new DiskModel(4 << 20)];
  for (let i = 0; i < 2; i++) {
    await guestWrite(c, i, models[i]!, 0x61 + i, 4096 * (i + 1), 300_032);
    await guestFlush(c, i);
  }
  await assert.rejects(
    createExternalOnline(c, disks, 's1', new RecordingJournal(), undefined, {
      afterStep: async (s) => {
        if (s === 'qdisk-online.rename-overlay:xvdb') await vm.kill();
      },
    }),
    (err: Error) => {
      assert.equal(
        err.message,
        `QMP connection to ${c.socketPath} closed while waiting for blockdev-add (command: qmp blockdev-add {"driver":"file","node-name":"${err.message.match(/"node-name":"(xs[0-9a-f]{6}-ovf)"/)?.[1]}","filename":"${disks[1]!.path}","cache":{"direct":false,"no-flush":false},"locking":"auto"}); undo left problems: ` +
          'xvdb: QMP connection lost, nothing undone (steps started: create-overlay, link-frozen, swap-file-node, rename-overlay, add-overlay-nodes); recovery must finish from the journal; ' +
          'xvda: QMP connection lost, nothing undone (steps started: create-overlay, link-frozen, swap-file-node, rename-overlay, add-overlay-nodes); recovery must finish from the journal',
      );
      return true;
    },
  );
  // Both leaves are now empty overlays on their frozen names; nothing was lost.
  for (let i = 0; i < 2; i++) {
    assert.equal((await readHeaderShared(disks[i]!.path)).backingFile, join(dir, `${disks[i]!.vdev}@s1.qcow2`));
    await checkNoCorruption(disks[i]!.path);
    await assertContent(dir, disks[i]!.path, models[i]!.data);
  }
});
