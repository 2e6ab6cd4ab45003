import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { QemuDriver } from '../../src/hypervisor/qemu/qemu-driver.js';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import * as img from '../../src/backends/qdisk/qemu-img.js';
import { RecordingJournal } from '../util/image-refs.js';
import { createImages, makeRaw, refWrite, sameBytes, startLiveDomain } from './live-vm.js';

const MiB = 1024 * 1024;

test('external live snapshot of a running two-disk QEMU: memory file, frozen images, running again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-live-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = await createImages(dir, 2, 16 * MiB);
  const vm = await startLiveDomain(t, dir, paths);
  // Raw references: `before` what each disk holds at the snapshot, `after` what the guest sees later.
  const before = [join(dir, 'before0.raw'), join(dir, 'before1.raw')];
  const after = [join(dir, 'after0.raw'), join(dir, 'after1.raw')];
  for (const f of [...before, ...after]) await makeRaw(f, 16 * MiB);
  const guestWrite = async (i: number, pattern: number, off: number, len: number, refs: string[]) => {
    await vm.write(i, pattern, off, len);
    for (const f of refs) await refWrite(f, pattern, off, len);
  };
  await guestWrite(0, 0x11, 0, 65536, [before[0]!, after[0]!]);
  await guestWrite(1, 0x22, 4 * MiB, 65536, [before[1]!, after[1]!]);
  const driver = new QemuDriver({ launcher: vm.launcher });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
  const journal = new RecordingJournal();
  const stateDir = join(dir, 'state');
  const r = await takeLiveSnapshot({
    domain: vm.domain, disks: vm.domain.disks, snapshot: 's1', type: 'external', backend, driver, journal, stateDir,
    quiesce: 'off', guestAgentSocket: null,
  });
  assert.equal(await vm.status(), 'running');
  assert.equal(r.memoryFile, join(stateDir, vm.domain.key, 's1.save'));
  const st = await stat(r.memoryFile!);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(r.memoryBytes, st.size);
  assert.ok(st.size > 100_000, `memory image of ${st.size} bytes`);
  assert.ok(r.pauseWindowMs > 0 && r.pauseWindowMs < r.totalMs);
  assert.deepEqual(r.disks, [
    { vdev: 'xvda', format: 'qcow2', backend: 'standalone', frozenPath: join(dir, 'disk0@s1.qcow2') },
    { vdev: 'xvdb', format: 'qcow2', backend: 'standalone', frozenPath: join(dir, 'disk1@s1.qcow2') },
  ]);
  const steps = journal.lines.filter((l) => l.includes(':live.'));
  assert.deepEqual(steps, ['intent:live.pause', 'done:live.pause', 'intent:live.disks', 'done:live.disks', 'intent:live.save-memory', 'done:live.save-memory', 'intent:live.resume', 'done:live.resume']);
  assert.equal((await img.info(paths[0]!, { shareRw: true })).backingPath, join(dir, 'disk0@s1.qcow2'));
  assert.deepEqual(r.findings, []);
  // Guest writes after the snapshot overlap the earlier ones: they must land in the leaves only.
  await guestWrite(0, 0x33, 4096, 8192, [after[0]!]);
  await guestWrite(1, 0x44, 4 * MiB + 512, 4096, [after[1]!]);
  await guestWrite(1, 0x55, 12 * MiB, 4096, [after[1]!]);
  await vm.flush();
  for (let i = 0; i < 2; i++) {
    const frozen = join(dir, `disk${i}@s1.qcow2`);
    assert.ok(await sameBytes(frozen, 'qcow2', before[i]!), `frozen image ${i} holds exactly the bytes written before the snapshot`);
    assert.ok(!(await sameBytes(frozen, 'qcow2', after[i]!)), `frozen image ${i} has none of the later writes`);
    assert.ok(await sameBytes(paths[i]!, 'qcow2', after[i]!), `leaf ${i} shows every write, later ones on top`);
  }
});

test('internal live snapshot on standalone QEMU uses snapshot-save: VM state in the first disk, tag on both', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-live-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = await createImages(dir, 2, 16 * MiB);
  const vm = await startLiveDomain(t, dir, paths);
  const driver = new QemuDriver({ launcher: vm.launcher });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
  const journal = new RecordingJournal();
  const r = await takeLiveSnapshot({
    domain: vm.domain, disks: vm.domain.disks, snapshot: 'i1', type: 'internal', backend, driver, journal, stateDir: join(dir, 'state'),
    quiesce: 'off', guestAgentSocket: null,
  });
  assert.equal(await vm.status(), 'running');
  assert.equal(r.memoryFile, null);
  assert.ok(r.memoryBytes > 100_000, `vm state of ${r.memoryBytes} bytes`);
  assert.deepEqual(r.disks.map((d) => d.tag), ['i1', 'i1']);
  for (const p of paths) assert.deepEqual((await img.info(p, { shareRw: true })).snapshots.map((s) => s.name), ['i1']);
  assert.deepEqual(journal.lines, ['intent:live.pause', 'done:live.pause', 'intent:live.disks', 'done:live.disks', 'intent:live.resume', 'done:live.resume']);
});
