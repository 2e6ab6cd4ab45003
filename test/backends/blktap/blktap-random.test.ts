import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BlktapBackend } from '../../../src/backends/blktap/blktap-backend.js';
import { ExecTapCtl } from '../../../src/backends/blktap/tap-ctl.js';
import { readVhdChain } from '../../../src/formats/vhd/vhd-chain.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import type { DomainState } from '../../../src/model/policy.js';
import { chainContents, prng, tempDir, vhdiinfo } from '../../formats/vhd/vhd-tools.js';
import { run } from '../../../src/util/exec.js';
import { createLeaves, guestWrite, logLines, makeDomain, ownComposed, recordingJournal, setupTapCtl } from './blktap-fixture.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';

const MiB = 1024 * 1024;
const SIZE = 5 * MiB; // two full 2 MiB blocks and a partial one

interface Snap {
  name: string;
  records: SnapshotDiskRecord[];
  refs: Map<string, Buffer>; // vdev → content at snapshot time
}

/**
 * Plays a seeded sequence of guest writes, snapshots and deletes (of any snapshot, so at any chain
 * position) and checks after every step, with xensnap's reader, that the leaf and every remaining
 * snapshot read exactly as their raw references; at checkpoints, the same through vhdimount.
 */
const positions = { oldest: 0, middle: 0, newest: 0, creates: 0 };

async function playSequence(seed: number, disks: number, steps: number, state: DomainState): Promise<void> {
  const { dir, cleanup } = await tempDir(`blktap-rand-${seed}`);
  try {
    const domain = makeDomain(dir, disks, state);
    await createLeaves(domain, SIZE);
    const tap = await setupTapCtl(dir, domain);
    const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
    const leafRefs = new Map(domain.disks.map((d) => [d.vdev, Buffer.alloc(SIZE)]));
    const snaps: Snap[] = [];
    const r = prng(seed);
    let made = 0;
    for (let step = 0; step < steps; step++) {
      const roll = r.next();
      let touched = domain.disks;
      let wrote = false;
      if (roll < 0.55 || (roll < 0.8 && snaps.length >= 4)) {
        const d = r.pick(domain.disks);
        const len = (1 + r.int(r.next() < 0.25 ? 600 : 12)) * 4096; // 4 KiB units: see vhd-io.test.ts
        const off = r.int((SIZE - len) / 4096 + 1) * 4096;
        const data = Buffer.alloc(len, 1 + r.int(250));
        await guestWrite(d.path, off, data);
        data.copy(leafRefs.get(d.vdev)!, off);
        touched = [d];
        wrote = true;
      } else if (roll < 0.8) {
        const name = `s${++made}`;
        const records = await backend.create({ domain, disks: domain.disks, snapshot: name, type: 'external' }, recordingJournal());
        positions.creates++;
        snaps.push({ name, records, refs: new Map([...leafRefs].map(([k, v]) => [k, Buffer.from(v)])) });
      } else if (snaps.length) {
        const at = r.int(snaps.length);
        positions[at === 0 ? 'oldest' : at === snaps.length - 1 ? 'newest' : 'middle']++;
        const victim = snaps.splice(at, 1)[0]!;
        await backend.delete({ domain, snapshot: victim.name, type: 'external', disks: victim.records }, recordingJournal());
        for (const rec of victim.records) await assert.rejects(stat(rec.frozenPath!), { code: 'ENOENT' });
      }
      // A write can only change its own leaf; a create or delete is checked everywhere.
      for (const d of touched) {
        assert.deepEqual(await ownComposed(d.path), leafRefs.get(d.vdev), `seed ${seed} step ${step}: leaf ${d.vdev}`);
        for (const s of wrote ? [] : snaps) {
          const rec = s.records.find((x) => x.vdev === d.vdev)!;
          assert.deepEqual(await ownComposed(rec.frozenPath!), s.refs.get(d.vdev), `seed ${seed} step ${step}: ${s.name} ${d.vdev}`);
        }
      }
      if (step % 20 === 19 || step === steps - 1) await independentCheck(domain.disks, snaps, leafRefs, `seed ${seed} step ${step}`);
    }
    if (state !== 'shutoff') {
      const st = JSON.parse(await readFile(tap.state, 'utf8')) as { tapdisks: { paused: boolean; args: string }[] };
      assert.deepEqual(st.tapdisks.map((t) => [t.paused, t.args]), domain.disks.map((d) => [false, `vhd:${d.path}`]));
    } else {
      assert.deepEqual(await logLines(tap.log), [], 'a shut-off domain never calls tap-ctl');
    }
  } finally {
    await cleanup();
  }
}

async function independentCheck(disks: { vdev: string; path: string }[], snaps: Snap[], leafRefs: Map<string, Buffer>, where: string): Promise<void> {
  for (const d of disks) {
    const chain = (await readVhdChain(d.path)).map((m) => m.path).reverse();
    const expected = chain.map((p) => {
      if (p === d.path) return leafRefs.get(d.vdev)!;
      const s = snaps.find((x) => x.records.some((rec) => rec.vdev === d.vdev && rec.frozenPath === p));
      assert.ok(s, `${where}: ${p} in the chain belongs to no live snapshot`);
      return s.refs.get(d.vdev)!;
    });
    assert.equal(chain.length, 1 + snaps.length, `${where}: chain length of ${d.vdev}`);
    const got = await chainContents(d.path);
    assert.equal(got.length, chain.length);
    got.forEach((g, i) => assert.ok(g.equals(expected[i]!), `${where}: vhdimount content of ${chain[i]}`));
    // libvhdi agrees on every member's type, size and parent (UUID and file name).
    const infos = await Promise.all(chain.map((p) => vhdiinfo(p)));
    infos.forEach((info, i) => {
      assert.equal(info.mediaSize, SIZE);
      assert.equal(info.diskType, i === 0 ? 'Dynamic' : 'Differential', `${where}: type of ${chain[i]}`);
      assert.equal(info.parentIdentifier, i === 0 ? undefined : infos[i - 1]!.identifier);
      assert.equal(info.parentFilename, i === 0 ? undefined : basename(chain[i - 1]!));
    });
    await assertVhdSound(d.path, `${where}: check ${d.path}`);
  }
}

test('seeded sequences of writes, snapshots and deletes keep every image byte-identical to its reference', async () => {
  // 105 steps in all; the running domain's sequence is shorter because every create and delete
  // there runs the tap-ctl stand-in (a node process) 5-7 times.
  await playSequence(101, 1, 45, 'shutoff');
  await playSequence(202, 2, 20, 'running');
  await playSequence(303, 3, 40, 'shutoff');
  // Deletes hit every chain position (the root, a middle image, the leaf's parent).
  assert.ok(positions.oldest > 1 && positions.middle > 1 && positions.newest > 1 && positions.creates > 10, JSON.stringify(positions));
});

test('a leaf made by qemu-img create -f vpc is snapshotted, written and merged correctly', async (t) => {
  const { dir, cleanup } = await tempDir('blktap-qemu');
  t.after(cleanup);
  const domain = makeDomain(dir, 1, 'shutoff');
  const leaf = domain.disks[0]!.path;
  await run('qemu-img', ['create', '-q', '-f', 'vpc', leaf, '6M']);
  await run('qemu-io', ['-f', 'vpc', '-c', 'write -P 0x61 0 3M', leaf]);
  const size = (await vhdiinfo(leaf)).mediaSize;
  assert.ok(size > 6 * MiB, 'CHS rounding');
  const ref0 = Buffer.alloc(size);
  ref0.fill(0x61, 0, 3 * MiB);
  const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
  const s1 = await backend.create({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, recordingJournal());
  assert.equal(s1[0]!.frozenPath, join(dir, 'xvda@s1.vhd'));
  await guestWrite(leaf, 2 * MiB, Buffer.alloc(2 * MiB, 0x62));
  const ref1 = Buffer.from(ref0);
  ref1.fill(0x62, 2 * MiB, 4 * MiB);
  const s2 = await backend.create({ domain, disks: domain.disks, snapshot: 's2', type: 'external' }, recordingJournal());
  await guestWrite(leaf, 4096, Buffer.alloc(8192, 0x63));
  const ref2 = Buffer.from(ref1);
  ref2.fill(0x63, 4096, 4096 + 8192);
  assert.deepEqual(await chainContents(leaf), [ref0, ref1, ref2]);
  await backend.delete({ domain, snapshot: 's1', type: 'external', disks: s1 }, recordingJournal());
  assert.deepEqual(await chainContents(leaf), [ref1, ref2]);
  await backend.delete({ domain, snapshot: 's2', type: 'external', disks: s2 }, recordingJournal());
  assert.deepEqual(await chainContents(leaf), [ref2]);
  assert.deepEqual([(await vhdiinfo(leaf)).diskType, (await vhdiinfo(leaf)).mediaSize], ['Dynamic', size]);
  await assertVhdSound(leaf);
});
