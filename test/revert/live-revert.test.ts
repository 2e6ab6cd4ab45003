import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { QemuDriver } from '../../src/hypervisor/qemu/qemu-driver.js';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import { renderRevertPlan } from '../../src/revert/revert-plan.js';
import { checkedPlan, revertNow } from './revert-helper.js';
import { readRecord } from '../../src/state/index.js';
import { RecordingJournal } from '../util/image-refs.js';
import { createImages, makeRaw, refWrite, sameBytes, startLiveDomain, type LiveDomain } from '../hypervisor/live-vm.js';
import { fillGuestRam, readGuestRam } from '../hypervisor/guest-ram.js';

const MiB = 1024 * 1024;
const NOW = new Date('2026-11-26T05:10:00Z');
// A guest-RAM page well clear of the firmware's areas (low memory, tables at the top of 64 MiB).
const RAM_PAGE = 32 * MiB;

async function withAux<T>(vm: LiveDomain, f: (c: Awaited<ReturnType<LiveDomain['aux']>>) => Promise<T>): Promise<T> {
  const c = await vm.aux();
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

test('live external snapshot, more writes, revert --stop: disks equal the snapshot, memory restored, domain running', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-rv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = await createImages(dir, 2, 8 * MiB);
  const vm = await startLiveDomain(t, dir, paths);
  const refs = [join(dir, 'r0.raw'), join(dir, 'r1.raw')];
  const nows = [join(dir, 'n0.raw'), join(dir, 'n1.raw')];
  for (const f of [...refs, ...nows]) await makeRaw(f, 8 * MiB);
  const both = async (i: number, p: number, off: number, len: number, files: string[]) => {
    await vm.write(i, p, off, len);
    for (const f of files) await refWrite(f, p, off, len);
  };
  await both(0, 0x11, 0, 65536, [refs[0]!, nows[0]!]);
  await both(1, 0x22, MiB, 65536, [refs[1]!, nows[1]!]);
  // The memory the snapshot must keep: a page of 0xa5, overwritten with 0x5a after the snapshot.
  await withAux(vm, (c) => fillGuestRam(c, dir, RAM_PAGE, 0xa5, 4096));
  const driver = new QemuDriver({ launcher: vm.launcher });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
  const stateDir = join(dir, 'state');
  const snap = await takeLiveSnapshot({
    domain: vm.domain, disks: vm.domain.disks, snapshot: 's1', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir,
    quiesce: 'off', guestAgentSocket: null,
  });
  await both(0, 0x33, 4096, 8192, [nows[0]!]);
  await both(1, 0x44, 2 * MiB, 4096, [nows[1]!]);
  await withAux(vm, (c) => fillGuestRam(c, dir, RAM_PAGE, 0x5a, 4096));
  assert.deepEqual(await withAux(vm, (c) => readGuestRam(c, dir, RAM_PAGE, 4096)), Buffer.alloc(4096, 0x5a), 'the guest RAM changed after the snapshot');

  const target = { name: 's1', type: 'external' as const, mode: 'live' as const, memoryFile: snap.memoryFile, disks: snap.disks };
  const plan = await checkedPlan(vm.domain, target, { driver, stateDir, stop: true, now: NOW });
  assert.equal(
    renderRevertPlan(plan),
    [
      'Revert domain web-1 to snapshot s1 (external, with memory):',
      '  1. STOP web-1 NOW, like pulling the plug: its running state (memory, unsaved data) is DISCARDED',
      '  2. keep the current disks as snapshot pre-revert-20261126T051000Z ("state before revert to s1", external)',
      `  3. xvda: new empty leaf at ${paths[0]} over ${join(dir, 'disk0@s1.qcow2')}`,
      `  4. xvdb: new empty leaf at ${paths[1]} over ${join(dir, 'disk1@s1.qcow2')}`,
      `  5. start web-1 with its memory from ${snap.memoryFile} and leave it running`,
      '',
    ].join('\n'),
  );
  const r = await revertNow(vm.domain, target, { driver, backend, stateDir, stop: true, now: NOW });
  assert.equal(r.report.text, 'reverted web-1 to s1; the previous state is snapshot pre-revert-20261126T051000Z; web-1 is running\n');
  assert.equal(await vm.status(), 'running');
  assert.equal(vm.pids.length, 2, 'the domain was started again by the launcher');
  assert.deepEqual(await withAux(vm, (c) => readGuestRam(c, dir, RAM_PAGE, 4096)), Buffer.alloc(4096, 0xa5), "the restored QEMU runs with the snapshot's memory");
  for (let i = 0; i < 2; i++) {
    assert.ok(await sameBytes(paths[i]!, 'qcow2', refs[i]!), `disk ${i} shows the snapshot's bytes`);
    assert.ok(await sameBytes(join(dir, `disk${i}@pre-revert-20261126T051000Z.qcow2`), 'qcow2', nows[i]!), `pre-revert keeps disk ${i}'s last state`);
    assert.ok(await sameBytes(join(dir, `disk${i}@s1.qcow2`), 'qcow2', refs[i]!), `the snapshot's image ${i} is untouched`);
  }
  const rec = await readRecord(stateDir, vm.domain.key, 'pre-revert-20261126T051000Z');
  assert.equal(rec?.description, 'state before revert to s1');
  assert.equal(rec?.policy, null);
  assert.equal(rec?.mode, 'disk-only');
  assert.equal(rec?.domainState, 'running');
  assert.deepEqual(rec?.disks.map((d) => d.frozenPath), paths.map((_, i) => join(dir, `disk${i}@pre-revert-20261126T051000Z.qcow2`)));
  assert.deepEqual(r.trace.filter((l) => !l.startsWith('qdisk-')), [
    'revert.build-leaf:xvda', 'revert.build-leaf:xvdb', 'revert.stop', 'revert.pre-revert', 'record.write',
    'revert.switch-disk:xvda', 'revert.switch-disk:xvdb', 'revert.restore',
  ]);
  // The restored guest keeps working on the reverted disk.
  await vm.write(0, 0x55, 0, 512);
  await refWrite(refs[0]!, 0x55, 0, 512);
  assert.ok(await sameBytes(paths[0]!, 'qcow2', refs[0]!));
  assert.ok((await stat(snap.memoryFile!)).size > 0, 'the memory image stays for later reverts');
});

test('live internal snapshot (snapshot-save), revert --stop --paused: snapshot-load, disks equal, domain paused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-rv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = await createImages(dir, 2, 8 * MiB);
  const vm = await startLiveDomain(t, dir, paths);
  const refs = [join(dir, 'r0.raw'), join(dir, 'r1.raw')];
  for (const f of refs) await makeRaw(f, 8 * MiB);
  await vm.write(0, 0x61, 0, 65536);
  await refWrite(refs[0]!, 0x61, 0, 65536);
  await vm.write(1, 0x62, 3 * MiB, 4096);
  await refWrite(refs[1]!, 0x62, 3 * MiB, 4096);
  const driver = new QemuDriver({ launcher: vm.launcher });
  const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
  const stateDir = join(dir, 'state');
  const snap = await takeLiveSnapshot({
    domain: vm.domain, disks: vm.domain.disks, snapshot: 'i1', type: 'internal', backend, driver, journal: new RecordingJournal(), stateDir,
    quiesce: 'off', guestAgentSocket: null,
  });
  await vm.write(0, 0x71, 0, 4096);
  await vm.write(1, 0x72, 0, 4096);
  const target = { name: 'i1', type: 'internal' as const, mode: 'live' as const, memoryFile: snap.memoryFile, disks: snap.disks };
  const r = await revertNow(vm.domain, target, { driver, backend, stateDir, stop: true, paused: true, now: NOW });
  assert.deepEqual(r.plan.disks.map((d) => d.method), ['load-tag', 'load-tag']);
  assert.equal(r.report.text, 'reverted web-1 to i1; the previous state is snapshot pre-revert-20261126T051000Z; web-1 is paused\n');
  assert.equal(await driver.status(vm.domain), 'paused');
  assert.equal(await vm.status(), 'prelaunch', 'loaded into a QEMU started with -S and never continued');
  for (let i = 0; i < 2; i++) assert.ok(await sameBytes(paths[i]!, 'qcow2', refs[i]!), `disk ${i} shows the snapshot's bytes`);
  const rec = await readRecord(stateDir, vm.domain.key, 'pre-revert-20261126T051000Z');
  assert.deepEqual(rec?.disks.map((d) => d.tag), ['pre-revert-20261126T051000Z', 'pre-revert-20261126T051000Z']);
});
