import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, deleteOffline } from '../../../src/backends/qdisk/offline.js';
import { resolveQdiskSteps } from '../../../src/backends/qdisk/graph-delete.js';
import { checkAll, sameSnapshots, snapshotContents } from '../../util/graph-oracle.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { noJournal } from '../../../src/backends/backend.js';
import type { Domain } from '../../../src/model/domain.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import {
  RecordingJournal, assertCleanImage, dirState, makeImage, qdisk, sameContent, saveReference, testDomain, writePattern,
} from '../../util/image-refs.js';

const MiB = 1 << 20;
const KiB = 1024;

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-ext-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Disk a: qcow2 over a raw base (a foreign template); disk b: a standalone qcow2. */
async function setup(dir: string) {
  const base = join(dir, 'base.raw');
  const a = join(dir, 'a.qcow2');
  const b = join(dir, 'b.qcow2');
  await makeImage(base, 'raw', 8 * MiB);
  await writePattern(base, 'raw', 0x0b, 0, 2 * MiB);
  await makeImage(a, 'qcow2', 8 * MiB, { path: base, format: 'raw' });
  await makeImage(b, 'qcow2', 8 * MiB);
  await writePattern(a, 'qcow2', 0xa1, MiB, 64 * KiB);
  await writePattern(b, 'qcow2', 0xb1, 0, 128 * KiB);
  return { base, a, b, domain: testDomain([qdisk('xvda', a), qdisk('xvdb', b)]) };
}

const create = (domain: Domain, snapshot: string, journal = noJournal) => createOffline({ domain, disks: domain.disks, snapshot, type: 'external' }, journal);
const del = (domain: Domain, snapshot: string, disks: SnapshotDiskRecord[]) => deleteOffline({ domain, snapshot, type: 'external', disks }, noJournal);

test('external create freezes each leaf under its frozen name and keeps the leaf path', async (t) => {
  const dir = await tempDir(t);
  const { base, a, b, domain } = await setup(dir);
  await chmod(a, 0o640);
  await saveReference(a, 'qcow2', join(dir, 'ref-a.raw'));
  await saveReference(b, 'qcow2', join(dir, 'ref-b.raw'));
  const journal = new RecordingJournal();
  const recs = await create(domain, 's1', journal);
  const fa = join(dir, 'a@s1.qcow2');
  const fb = join(dir, 'b@s1.qcow2');
  assert.deepEqual(recs, [
    { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: fa },
    { vdev: 'xvdb', format: 'qcow2', backend: 'qdisk', frozenPath: fb },
  ]);
  const steps = ['overlay', 'link', 'switch'].flatMap((s) => ['xvda', 'xvdb'].flatMap((v) => [`intent:qdisk-offline.external-${s}:${v}`, `done:qdisk-offline.external-${s}:${v}`]));
  assert.deepEqual(journal.lines, steps);
  assert.deepEqual(journal.intents[0]!.detail, { vdev: 'xvda', leaf: a, frozen: fa, temp: join(dir, '.a.qcow2.xensnap-new'), leafFormat: 'qcow2', size: 8 * MiB });
  assert.deepEqual(Object.keys(await dirState(dir)), ['a.qcow2', 'a@s1.qcow2', 'b.qcow2', 'b@s1.qcow2', 'base.raw', 'ref-a.raw', 'ref-b.raw']);
  const chainA = await img.chain(a, { format: 'qcow2' });
  assert.deepEqual(chainA.map((c) => [c.filename, c.format, c.backingPath, c.backingFormat]), [
    [a, 'qcow2', fa, 'qcow2'], [fa, 'qcow2', base, 'raw'], [base, 'raw', null, null],
  ]);
  assert.equal((await stat(a)).mode & 0o777, 0o640);
  for (const [leaf, frozen, ref] of [[a, fa, 'ref-a.raw'], [b, fb, 'ref-b.raw']] as const) {
    assert.equal(await sameContent(frozen, 'qcow2', join(dir, ref), 'raw'), true);
    assert.equal(await sameContent(leaf, 'qcow2', join(dir, ref), 'raw'), true);
    await assertCleanImage(leaf, 'qcow2');
    await assertCleanImage(frozen, 'qcow2');
  }
  // Guest writes land in the new overlay, never in the frozen image.
  await writePattern(a, 'qcow2', 0xa2, MiB, 4 * KiB);
  assert.equal(await sameContent(fa, 'qcow2', join(dir, 'ref-a.raw'), 'raw'), true);
  assert.equal(await sameContent(a, 'qcow2', join(dir, 'ref-a.raw'), 'raw'), false);
  await assert.rejects(create(domain, 's1'), { name: 'BackendError', message: `cannot take external snapshot "s1" of disk xvda (${a}): ${fa} already exists` });
});

test('delete picks stream or commit by the bytes to copy, keeps every other snapshot and the leaf, and never writes the raw base', async (t) => {
  const dir = await tempDir(t);
  const { base, a, domain: two } = await setup(dir);
  const domain = testDomain([two.disks[0]!]);
  const baseHash = (await dirState(dir))['base.raw'];
  await saveReference(a, 'qcow2', join(dir, 'ref-s1.raw'));
  const s1 = await create(domain, 's1'); // F1 = a@s1: 64 KiB of own data, over the raw base
  await writePattern(a, 'qcow2', 0xc1, 2 * MiB, MiB); // 1 MiB into the overlay that becomes F2
  await saveReference(a, 'qcow2', join(dir, 'ref-s2.raw'));
  const s2 = await create(domain, 's2');
  await writePattern(a, 'qcow2', 0xd1, 4 * MiB, 128 * KiB); // the leaf holds 128 KiB
  await saveReference(a, 'qcow2', join(dir, 'ref-leaf.raw'));
  const req2 = { domain, snapshot: 's2', type: 'external' as const, disks: s2 };
  // F2 holds 1 MiB, the leaf above it 128 KiB: the leaf is committed into F2, which takes its path
  const [w2] = await resolveQdiskSteps(req2);
  assert.deepEqual(w2!.step.method === 'commit' && [w2!.step.image, w2!.step.child, w2!.step.parent, w2!.step.chainDepthAfter], [join(dir, 'a@s2.qcow2'), a, join(dir, 'a@s1.qcow2'), 3]);
  await del(domain, 's2', s2);
  assert.deepEqual(Object.keys(await dirState(dir)), ['a.qcow2', 'a@s1.qcow2', 'b.qcow2', 'base.raw', 'ref-leaf.raw', 'ref-s1.raw', 'ref-s2.raw']);
  assert.equal(await sameContent(a, 'qcow2', join(dir, 'ref-leaf.raw'), 'raw'), true);
  assert.equal(await sameContent(join(dir, 'a@s1.qcow2'), 'qcow2', join(dir, 'ref-s1.raw'), 'raw'), true);
  assert.deepEqual((await img.chain(a)).map((c) => c.filename), [a, join(dir, 'a@s1.qcow2'), base]);
  // s1 (64 KiB over the raw base) under a leaf that now holds 1 MiB + 128 KiB: stream into the leaf.
  const req1 = { domain, snapshot: 's1', type: 'external' as const, disks: s1 };
  const [w1] = await resolveQdiskSteps(req1);
  assert.deepEqual(w1!.step.method === 'stream' && [w1!.step.children, w1!.step.parent, w1!.step.parentFormat, w1!.step.chainDepthAfter], [[{ path: a, how: 'rebase' }], base, 'raw', 2]);
  await del(domain, 's1', s1);
  assert.deepEqual((await img.chain(a)).map((c) => [c.filename, c.backingFormat]), [[a, 'raw'], [base, null]]);
  assert.equal(await sameContent(a, 'qcow2', join(dir, 'ref-leaf.raw'), 'raw'), true);
  assert.equal((await dirState(dir))['base.raw'], baseHash);
  await assertCleanImage(a, 'qcow2');
  await del(domain, 's1', s1); // already merged: nothing to do
});

test('deleting the middle snapshot keeps the older and the newer snapshot intact; the base snapshot flattens', async (t) => {
  const dir = await tempDir(t);
  const { b, domain: two } = await setup(dir);
  const domain = testDomain([two.disks[1]!]);
  const snaps: SnapshotDiskRecord[][] = [];
  for (const [i, p] of [0x21, 0x22, 0x23].entries()) {
    await writePattern(b, 'qcow2', p, i * MiB, 256 * KiB);
    await saveReference(b, 'qcow2', join(dir, `ref-${i}.raw`));
    snaps.push(await create(domain, `s${i}`));
  }
  await writePattern(b, 'qcow2', 0x24, 0, 4 * KiB);
  await saveReference(b, 'qcow2', join(dir, 'ref-leaf.raw'));
  await del(domain, 's1', snaps[1]!);
  await del(domain, 's0', snaps[0]!); // the bottom: no parent, flattened into its child
  const chain = await img.chain(b);
  assert.deepEqual(chain.map((c) => [c.filename, c.backingPath]), [[b, join(dir, 'b@s2.qcow2')], [join(dir, 'b@s2.qcow2'), null]]);
  assert.equal(await sameContent(join(dir, 'b@s2.qcow2'), 'qcow2', join(dir, 'ref-2.raw'), 'raw'), true);
  assert.equal(await sameContent(b, 'qcow2', join(dir, 'ref-leaf.raw'), 'raw'), true);
  for (const c of chain) await assertCleanImage(c.filename, 'qcow2');
});

test('internal snapshots around a deleted frozen image keep their content: in F by commit, in its child by the cluster-level merge', async (t) => {
  const dir = await tempDir(t);
  const { b, domain: two } = await setup(dir);
  const domain = testDomain([two.disks[1]!]);
  const fb = join(dir, 'b@s1.qcow2');
  await img.snapshotCreate(b, 'inner'); // lives in what becomes the frozen image
  await writePattern(b, 'qcow2', 0xb2, 64 * KiB, 64 * KiB);
  const s1 = await create(domain, 's1');
  await writePattern(b, 'qcow2', 0xb3, 3 * MiB, 64 * KiB);
  // F holds "inner": its file must stay, so the leaf is committed into it and it takes the leaf's path
  const before = await snapshotContents(dir);
  const [w] = await resolveQdiskSteps({ domain, snapshot: 's1', type: 'external', disks: s1 });
  assert.equal(w!.step.method, 'commit');
  await del(domain, 's1', s1);
  assert.deepEqual(sameSnapshots(before, await snapshotContents(dir), [`file:${fb}`]), []);
  assert.deepEqual((await img.info(b)).snapshots.map((x) => x.name), ['inner']);
  assert.deepEqual(await checkAll(dir), []);
  // now a tag in the child reads through the frozen image: F's data goes into every table of the child
  await img.snapshotDelete(b, 'inner');
  const s2 = await create(domain, 's2');
  await writePattern(b, 'qcow2', 0xb4, 5 * MiB, 64 * KiB);
  await img.snapshotCreate(b, 'top');
  await writePattern(b, 'qcow2', 0xb5, 64 * KiB, 4 * KiB);
  const before2 = await snapshotContents(dir);
  const [w2] = await resolveQdiskSteps({ domain, snapshot: 's2', type: 'external', disks: s2 });
  assert.deepEqual(w2!.step.method === 'stream' && w2!.step.children, [{ path: b, how: 'cluster' }]);
  await del(domain, 's2', s2);
  assert.deepEqual(sameSnapshots(before2, await snapshotContents(dir), [`file:${join(dir, 'b@s2.qcow2')}`]), []);
  assert.equal((await img.info(b)).backingPath, null);
  assert.deepEqual(await checkAll(dir), []);
});

test('a failure on the second disk leaves the first disk byte for byte as before', async (t) => {
  for (const failAt of [1, 3, 5]) {
    const dir = await tempDir(t);
    const { b, domain } = await setup(dir);
    const before = await dirState(dir);
    const journal = new RecordingJournal(async (_step, i) => {
      if (i !== failAt) return;
      if (failAt === 1) await mkdir(join(dir, '.b.qcow2.xensnap-new'), { recursive: true }); // qemu-img create then fails for real
      else throw new Error(`journal write failed at step ${i}`);
    });
    await assert.rejects(create(domain, 's1', journal), (e: Error) => {
      if (failAt === 1) assert.match(e.message, /^qemu-img failed \(command: qemu-img create -q -f qcow2 -F qcow2 -b .*b@s1\.qcow2 -u .*\.b\.qcow2\.xensnap-new 8388608; exit code: 1;/);
      else assert.equal(e.message, `journal write failed at step ${failAt}`);
      return true;
    });
    if (failAt === 1) await rm(join(dir, '.b.qcow2.xensnap-new'), { recursive: true });
    assert.deepEqual(await dirState(dir), before, `failing at step ${failAt}`);
    assert.equal((await img.info(b)).backingPath, null);
  }
});

test('a file appearing at the frozen name during create makes it fail; the rollback leaves that file alone', async (t) => {
  const dir = await tempDir(t);
  const { a, domain: two } = await setup(dir);
  const domain = testDomain([two.disks[0]!]);
  const fa = join(dir, 'a@s1.qcow2');
  const journal = new RecordingJournal(async (step) => {
    if (step === 'qdisk-offline.external-link') await writeFile(fa, 'not ours');
  });
  const before = await dirState(dir);
  await assert.rejects(create(domain, 's1', journal), { code: 'EEXIST' });
  const after = await dirState(dir);
  assert.equal(await readFile(fa, 'utf8'), 'not ours');
  delete after['a@s1.qcow2'];
  assert.deepEqual(after, before);
  assert.equal((await img.info(a)).backingPath, join(dir, 'base.raw'));
});
