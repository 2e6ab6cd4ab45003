import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFile } from '../../../src/formats/file-access.js';
import { coalesceVhd, streamVhdIntoChild } from '../../../src/formats/vhd/vhd-coalesce.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdInfo } from '../../../src/formats/vhd/vhd-info.js';
import { relinkVhd, setVhdHidden } from '../../../src/formats/vhd/vhd-relink.js';
import { writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import { composedContents, prng, tempDir, vhdiinfo } from './vhd-tools.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';

const MiB = 1024 * 1024;
const SIZE = 20 * MiB;

/** base ← mid ← top, each written with seeded 4 KiB-unit extents; returns the composed references. */
async function chain(dir: string, seed: number): Promise<{ paths: string[]; refs: Buffer[] }> {
  const paths = ['base.vhd', 'mid.vhd', 'top.vhd'].map((n) => join(dir, n));
  const r = prng(seed);
  const ref = Buffer.alloc(SIZE);
  const refs: Buffer[] = [];
  for (const [i, p] of paths.entries()) {
    if (i === 0) await createDynamicVhd(p, SIZE);
    else await createDifferencingVhd(p, paths[i - 1]!);
    const img = await VhdImage.open(p, true);
    for (let k = 0; k < 25; k++) {
      const len = (1 + r.int(r.next() < 0.3 ? 700 : 16)) * 4096;
      const off = r.int((SIZE - len) / 4096 + 1) * 4096;
      const data = Buffer.alloc(len, 1 + r.int(250));
      await writeVhdSectors(img, off, data);
      data.copy(ref, off);
    }
    await img.close();
    refs.push(Buffer.from(ref));
  }
  return { paths, refs };
}

test('coalesce writes the child into its parent: the parent then reads as the child, the child is unchanged', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-coalesce');
  t.after(cleanup);
  const { paths, refs } = await chain(dir, 5);
  const events: [number, number][] = [];
  const res = await coalesceVhd(paths[2]!, (d, n) => events.push([d, n]));
  const n = (await withFile(paths[2]!, readVhdInfo)).allocatedBlocks;
  assert.deepEqual(events[0], [0, n]);
  assert.deepEqual(events[events.length - 1], [n, n]);
  assert.ok(res.blocks > 0 && res.bytes > 0);
  assert.deepEqual(await composedContents(paths), [refs[0], refs[2], refs[2]]);
  for (const p of paths) await assertVhdSound(p);
});

test('streaming a middle image into its child, then the root, keeps every remaining image byte-identical', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-stream');
  t.after(cleanup);
  const { paths, refs } = await chain(dir, 6);
  const [base, mid, top] = paths as [string, string, string];
  const baseBytes = await readFile(base);
  await streamVhdIntoChild(mid, top);
  assert.deepEqual(await readFile(base), baseBytes, 'the parent is never written');
  const info = await withFile(top, readVhdInfo);
  assert.equal(info.parentUuid, (await withFile(base, readVhdInfo)).uuid);
  assert.deepEqual(info.parentLocators.map((l) => l.path), ['./base.vhd', './base.vhd', './base.vhd']);
  assert.equal((await vhdiinfo(top)).parentFilename, 'base.vhd');
  assert.deepEqual(await composedContents([base, top]), [refs[0], refs[2]]);
  await assertVhdSound(top);
  await streamVhdIntoChild(base, top);
  const vi = await vhdiinfo(top);
  assert.deepEqual([vi.diskType, vi.parentIdentifier, vi.mediaSize], ['Dynamic', undefined, SIZE]);
  assert.deepEqual(await composedContents([top]), [refs[2]]);
  await assertVhdSound(top);
});

test('re-link and the hidden flag rewrite the header, both footers and their checksums', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-relink');
  t.after(cleanup);
  const { paths, refs } = await chain(dir, 7);
  const [base, mid, top] = paths as [string, string, string];
  await setVhdHidden(mid, true);
  assert.equal((await withFile(mid, readVhdInfo)).hidden, true);
  const bytes = await readFile(mid);
  assert.deepEqual(bytes.subarray(0, 512), bytes.subarray(-512));
  await assertVhdSound(top, 'hiding keeps the UUID and timestamp, so the child stays linked');
  await setVhdHidden(mid, false);
  assert.equal((await withFile(mid, readVhdInfo)).hidden, false);
  // Re-link top straight onto base: its own sectors stay, mid's are no longer seen.
  await relinkVhd(top, base);
  assert.equal((await vhdiinfo(top)).parentFilename, 'base.vhd');
  await assertVhdSound(top);
  const [composedTop] = await composedContents([top]);
  assert.notDeepEqual(composedTop, refs[2]);
  await relinkVhd(top, mid);
  assert.deepEqual(await composedContents([top]), [refs[2]]);
});
