import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { planParentMerge } from '../../../src/formats/qcow2/qcow2-merge-plan.js';
import { tempDir } from '../vhd/vhd-tools.js';
import { create, exportByRevert, exportTables, image, img, io, KiB, mergeAndVerify, MiB, snapshot } from './merge-fixture.js';

/** P (8 MiB, pattern 0x11) ← F with data, zero, compressed and unallocated ranges over several L2 tables (4 KiB clusters). */
async function parentWithEverything(dir: string, fOpts = 'cluster_size=4096'): Promise<{ P: string; F: string }> {
  const P = join(dir, 'P.qcow2');
  const F = join(dir, 'F.qcow2');
  await create(P, '8M');
  await io(P, 'write -P 0x11 0 8M');
  await create(F, '8M', { backing: P, o: fOpts });
  await io(F, 'write -P 0x22 0 1M', 'write -z 1M 256k', 'write -c -P 0x33 2M 64k', 'write -P 0x44 5M 512k', 'write -z 7M 4k');
  return { P, F };
}

test('P ← F ← C: the active layer and tags taken at several moments keep their content when F goes', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-basic');
  t.after(cleanup);
  const { P, F } = await parentWithEverything(dir);
  const C = join(dir, 'C.qcow2');
  await create(C, '8M', { backing: F, o: 'cluster_size=4096' });
  await snapshot(C, 'empty'); // no L2 tables at all: shares every new L2 table with later tables
  await io(C, 'write -P 0x55 512k 8k', 'write -P 0x56 5M 4k');
  await snapshot(C, 'one');
  await io(C, 'write -P 0x66 0 4k', 'write -P 0x67 2M 4k');
  await snapshot(C, 'two');
  await io(C, 'write -P 0x77 7M 4k', 'write -z 3M 8k', 'write -P 0x78 100k 4k');
  const plan = await planParentMerge(F, [C]);
  assert.deepEqual(
    plan.children[0]!.tables.map((x) => (x.kind === 'active' ? 'active' : x.name)),
    ['active', 'empty', 'one', 'two'],
  );
  const r = await mergeAndVerify({ dir, parent: F, grand: P, children: [C] });
  assert.ok(r.clusters > 400, `filled ${r.clusters} guest clusters`);
});

test('each copied cluster is written once and shared by refcount among the tables that need it', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-shared');
  t.after(cleanup);
  const F = await image(join(dir, 'F.qcow2'), '4M', {}, 'write -P 0x22 0 512k');
  // C1: its L2 table exists (a write at 1 MiB) and is shared by the active layer and three tags.
  const C1 = await image(join(dir, 'C1.qcow2'), '4M', { backing: F }, 'write -P 0x33 1M 64k');
  for (const tag of ['a', 'b', 'c']) await snapshot(C1, tag);
  // C2: no L2 table anywhere; one new L2 table serves all four tables.
  const C2 = join(dir, 'C2.qcow2');
  await create(C2, '4M', { backing: F });
  for (const tag of ['a', 'b', 'c']) await snapshot(C2, tag);
  // Growth counts from the end of the last cluster (QEMU leaves the snapshot table's cluster short).
  const pad = async (p: string) => (64 * KiB - ((await stat(p)).size % (64 * KiB))) % (64 * KiB);
  const plan = await planParentMerge(F, [C1, C2]);
  assert.deepEqual(
    plan.children.map((c) => [c.clustersToCopy, c.bytesToWrite, c.tables.length]),
    [
      [8, (await pad(C1)) + 8 * 64 * KiB, 4],
      [8, (await pad(C2)) + 9 * 64 * KiB, 4],
    ],
  );
  await mergeAndVerify({ dir, parent: F, grand: null, children: [C1, C2] });
});

test('several children of one F (side branch and new leaf after a revert), each with tags', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-children');
  t.after(cleanup);
  const { P, F } = await parentWithEverything(dir, 'cluster_size=65536');
  const side = join(dir, 'side.qcow2');
  const leaf = join(dir, 'leaf.qcow2');
  await create(side, '8M', { backing: F });
  await io(side, 'write -P 0x81 0 64k');
  await snapshot(side, 'pre-revert');
  await io(side, 'write -P 0x82 64k 64k');
  await create(leaf, '8M', { backing: F, o: 'cluster_size=16384' });
  await snapshot(leaf, 'fresh');
  await io(leaf, 'write -P 0x83 5M 16k');
  await mergeAndVerify({ dir, parent: F, grand: P, children: [side, leaf] });
});

test('a tag with a smaller disk size gets F only inside its size; the grown active layer gets the rest', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-resize');
  t.after(cleanup);
  const { P, F } = await parentWithEverything(dir);
  const C = await image(join(dir, 'C.qcow2'), '4M', { backing: F, o: 'cluster_size=4096' }, 'write -P 0x91 1M 4k');
  await snapshot(C, 'small');
  await img('resize', C, '8M');
  await io(C, 'write -P 0x92 6M 4k');
  await snapshot(C, 'big');
  const before = (await exportTables(C, join(dir, 'x'))).get('tag 1 small');
  assert.equal(await exportByRevert(C, 'small', join(dir, 'x')), before, 'the oracle reads the small tag as a revert does');
  await mergeAndVerify({ dir, parent: F, grand: P, children: [C] });
  assert.equal(await exportByRevert(C, 'small', join(dir, 'x')), before, 'a revert to the small tag reads the same after the merge');
});

test('v2 and v3 images in both roles: a v2 child gets zeroed data clusters for F\'s zero clusters', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-versions');
  t.after(cleanup);
  const { P, F } = await parentWithEverything(dir);
  const v2 = join(dir, 'v2.qcow2');
  await create(v2, '8M', { backing: F, o: 'compat=0.10,cluster_size=4096' });
  await snapshot(v2, 't1');
  await io(v2, 'write -P 0xa1 0 4k');
  const r = await mergeAndVerify({ dir, parent: F, grand: P, children: [v2] });
  // F's zero ranges (256 KiB + 4 KiB) become data clusters too: 1 MiB + 256 KiB + 64 KiB + 512 KiB + 4 KiB of data.
  assert.equal(r.clusters, (MiB + 256 * KiB + 64 * KiB + 512 * KiB + 4 * KiB) / 4096);

  const { dir: dir2, cleanup: c2 } = await tempDir('q2merge-versions-f2');
  t.after(c2);
  const F2 = await image(join(dir2, 'F2.qcow2'), '4M', { o: 'compat=0.10' }, 'write -P 0xb1 0 1M', 'write -c -P 0xb2 2M 128k');
  const v3 = join(dir2, 'v3.qcow2');
  await create(v3, '4M', { backing: F2 });
  await snapshot(v3, 't');
  await io(v3, 'write -P 0xb3 64k 64k');
  await mergeAndVerify({ dir: dir2, parent: F2, grand: null, children: [v3] });
});

test('F made compressed by qemu-img convert -c, and the active layer larger than a base F', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-convert');
  t.after(cleanup);
  const P = await image(join(dir, 'P.qcow2'), '4M', {}, 'write -P 0x11 0 4M');
  const src = await image(join(dir, 'src.qcow2'), '4M', { backing: P }, 'write -P 0x21 0 1M', 'write -z 2M 512k', 'write -P 0x22 3M 64k');
  const F = join(dir, 'F.qcow2');
  await img('convert', '-c', '-O', 'qcow2', '-B', P, '-F', 'qcow2', src, F);
  const C = join(dir, 'C.qcow2');
  await create(C, '4M', { backing: F });
  await snapshot(C, 'x');
  await io(C, 'write -P 0x23 512k 64k');
  await mergeAndVerify({ dir, parent: F, grand: P, children: [C] });

  // F is the base (no backing): a child larger than F reads zeros past F before and after.
  const base = await image(join(dir, 'base.qcow2'), '4M', {}, 'write -c -P 0x31 0 256k', 'write -P 0x32 1M 64k');
  const big = join(dir, 'big.qcow2');
  await create(big, '8M', { backing: base });
  await snapshot(big, 'y');
  await io(big, 'write -P 0x33 6M 64k');
  await mergeAndVerify({ dir, parent: base, grand: null, children: [big] });
});

for (const [child, parent] of [
  [512, 65536],
  [2 * MiB, 2 * MiB],
  [65536, 4096],
  [2 * MiB, 512],
] as const) {
  test(`child clusters of ${child} bytes over F clusters of ${parent} bytes`, async (t) => {
    const { dir, cleanup } = await tempDir('q2merge-clusters');
    t.after(cleanup);
    const P = await image(join(dir, 'P.qcow2'), '8M', {}, 'write -P 0x11 0 8M');
    const F = join(dir, 'F.qcow2');
    await create(F, '8M', { backing: P, o: `cluster_size=${parent}` });
    // Whole 2 MiB ranges, so no child cluster mixes F's data with a fall-through to P.
    await io(F, 'write -P 0x22 0 2M', 'write -z 2M 2M', 'write -c -P 0x23 6M 2M');
    const C = join(dir, 'C.qcow2');
    await create(C, '8M', { backing: F, o: `cluster_size=${child}` });
    await snapshot(C, 'a');
    await io(C, 'write -P 0x33 0 4k', 'write -P 0x34 5M 4k');
    await snapshot(C, 'b');
    await io(C, 'write -P 0x35 1M 4k');
    await mergeAndVerify({ dir, parent: F, grand: P, children: [C] });
  });
}

for (const bits of [1, 2, 4, 8, 16, 32, 64]) {
  test(`a child with refcount_bits=${bits}`, async (t) => {
    const { dir, cleanup } = await tempDir('q2merge-refbits');
    t.after(cleanup);
    const { P, F } = await parentWithEverything(dir);
    const C = join(dir, 'C.qcow2');
    await create(C, '8M', { backing: F, o: `cluster_size=4096,refcount_bits=${bits}` });
    // QEMU cannot count a shared cluster with 1 bit, nor more than 3 sharers with 2: tags are
    // taken where it allows them (with 1 bit, only while nothing is allocated).
    const maxTags = bits === 1 ? 2 : bits === 2 ? 2 : 3;
    for (let k = 0; k < maxTags; k++) {
      if (bits === 1) {
        await snapshot(C, `t${k}`);
        continue;
      }
      await io(C, `write -P ${0x40 + k} ${k * 2}M 4k`);
      await snapshot(C, `t${k}`);
    }
    await io(C, 'write -P 0x4f 6M 4k');
    await mergeAndVerify({ dir, parent: F, grand: P, children: [C] });
  });
}

test('the refcount table grows (512-byte clusters, 64-bit refcounts), in one batch and in many', async (t) => {
  for (const batchBytes of [undefined, 64 * KiB]) {
    const { dir, cleanup } = await tempDir('q2merge-growth');
    t.after(cleanup);
    const F = await image(join(dir, 'F.qcow2'), '6M', {}, 'write -P 0x22 0 5M');
    const C = await image(join(dir, 'C.qcow2'), '6M', { backing: F, o: 'cluster_size=512,refcount_bits=64' }, 'write -P 0x33 0 512');
    await snapshot(C, 's');
    await io(C, 'write -P 0x34 4M 512');
    const r = await mergeAndVerify({ dir, parent: F, grand: null, children: [C] }, { batchBytes });
    // 5 MiB of data: 64 refcounts per block, 64 blocks per table cluster; the table started at one cluster.
    assert.ok(r.bytes > 5 * MiB + (5 * MiB) / 512 / 64 * 512, `grew by ${r.bytes}`);
  }
});
