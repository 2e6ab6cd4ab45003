import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdSectors, writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import { run } from '../../../src/util/exec.js';
import { composedContents, prng, tempDir, vhdiinfo } from './vhd-tools.js';
import { assertVhdSound, batmapMismatches } from '../../util/batmap-oracle.js';
import { NodeFileAccess, type WritableFileAccess } from '../../../src/formats/file-access.js';
import { mergeVhdBlocks } from '../../../src/formats/vhd/vhd-merge.js';

const MiB = 1024 * 1024;

/** Random writes of `unit`-aligned extents (some across block boundaries) into image and reference. */
async function randomWrites(img: VhdImage, ref: Buffer, seed: number, count: number, unit: number): Promise<void> {
  const r = prng(seed);
  for (let i = 0; i < count; i++) {
    const units = ref.length / unit;
    const len = (1 + r.int(Math.min(units, r.next() < 0.2 ? 1200 : 24))) * unit;
    const off = r.int(units - len / unit + 1) * unit;
    const data = Buffer.alloc(len);
    for (let k = 0; k < len; k += 512) data.fill((r.int(255) + 1) & 0xff, k, k + 512);
    await writeVhdSectors(img, off, data);
    data.copy(ref, off);
  }
}

test('sector writes and reads through BAT and bitmaps match a raw reference (own reader and qemu-img)', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-io');
  t.after(cleanup);
  const size = 12 * MiB + 7 * 512; // a partial last block
  const base = join(dir, 'base.vhd');
  await createDynamicVhd(base, size);
  const ref = Buffer.alloc(size);
  let img = await VhdImage.open(base, true);
  await randomWrites(img, ref, 1, 60, 512);
  assert.deepEqual(await readVhdSectors([img], 0, size), ref);
  await img.close();
  // qemu's vpc driver reads dynamic disks (not chains) independently of our code.
  await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', base, join(dir, 'base.raw')]);
  assert.deepEqual((await readFile(join(dir, 'base.raw'))).subarray(0, size), ref);
  assert.deepEqual(await composedContents([base]), [ref]);
  // Child over it: sector-granular writes read back through the chain by our reader.
  const child = join(dir, 'child.vhd');
  await createDifferencingVhd(child, base);
  const cref = Buffer.from(ref);
  img = await VhdImage.open(child, true);
  const parent = await VhdImage.open(base);
  await randomWrites(img, cref, 2, 60, 512);
  assert.deepEqual(await readVhdSectors([img, parent], 0, size), cref);
  assert.deepEqual(await readVhdSectors([img, parent], 5 * 512, 9 * 512), cref.subarray(5 * 512, 14 * 512));
  await img.close();
  await parent.close();
  await assertVhdSound(child);
});

test('a chain written in 4 KiB units composes identically through vhdimount', async (t) => {
  // libvhdi 20210425 reads the rest of a bitmap byte from the child once one bit in it is set,
  // so sub-4 KiB extents in differencing disks are checked with our reader above, not with it.
  const { dir, cleanup } = await tempDir('vhd-io4k');
  t.after(cleanup);
  const size = 16 * MiB;
  const paths = [join(dir, 'a.vhd'), join(dir, 'b.vhd'), join(dir, 'c.vhd')];
  await createDynamicVhd(paths[0]!, size);
  const refs: Buffer[] = [];
  const ref = Buffer.alloc(size);
  for (const [i, p] of paths.entries()) {
    if (i > 0) await createDifferencingVhd(p, paths[i - 1]!);
    const img = await VhdImage.open(p, true);
    await randomWrites(img, ref, 10 + i, 40, 4096);
    await img.close();
    refs.push(Buffer.from(ref));
  }
  assert.deepEqual(await composedContents(paths), refs);
  for (const p of paths) await assertVhdSound(p);
});

test('images made by qemu-img create -f vpc are read, written and get children correctly', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-qemu');
  t.after(cleanup);
  const q = join(dir, 'q.vhd');
  await run('qemu-img', ['create', '-q', '-f', 'vpc', q, '24M']);
  const size = (await vhdiinfo(q)).mediaSize;
  const footer = (await readFile(q)).subarray(-512);
  const chs = footer.readUInt16BE(56) * footer[58]! * footer[59]! * 512;
  assert.ok(size > 24 * MiB && size === chs, `qemu rounds 24 MiB up to its CHS geometry: ${size} vs ${chs}`);
  await run('qemu-io', ['-f', 'vpc', '-c', 'write -P 0x5a 1M 3M', '-c', 'write -P 0x33 20M 8k', q]);
  const ref = Buffer.alloc(size);
  ref.fill(0x5a, MiB, 4 * MiB);
  ref.fill(0x33, 20 * MiB, 20 * MiB + 8192);
  let img = await VhdImage.open(q, true);
  assert.equal(img.layout.info.currentSize, size);
  assert.deepEqual(await readVhdSectors([img], 0, size), ref);
  await randomWrites(img, ref, 3, 30, 512);
  await img.close();
  await assertVhdSound(q);
  await run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', q, join(dir, 'q.raw')]);
  assert.deepEqual((await readFile(join(dir, 'q.raw'))).subarray(0, size), ref);
  const child = join(dir, 'q-child.vhd');
  await createDifferencingVhd(child, q);
  const cref = Buffer.from(ref);
  img = await VhdImage.open(child, true);
  await randomWrites(img, cref, 4, 30, 4096);
  await img.close();
  const vi = await vhdiinfo(child);
  assert.deepEqual([vi.diskType, vi.mediaSize, vi.parentFilename], ['Differential', size, 'q.vhd']);
  assert.deepEqual(await composedContents([q, child]), [ref, cref]);
  await assertVhdSound(child);
});

test('the batmap is written once per operation, however many blocks it marks, and never for writes that fill none', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-batmap-writes');
  t.after(cleanup);
  const parent = join(dir, 'p.vhd');
  const child = join(dir, 'c.vhd');
  await createDynamicVhd(parent, 16 * MiB);
  await createDifferencingVhd(child, parent);
  const BATMAP_HEADER = 1536 + 512; // 8 BAT entries: one sector
  /** The image over a file that counts the writes touching the batmap header. */
  const counted = async (p: string): Promise<{ img: VhdImage; writes: () => number; close: () => Promise<void> }> => {
    const f = await NodeFileAccess.open(p, true);
    let n = 0;
    const w: WritableFileAccess = {
      name: f.name,
      size: () => f.size(),
      read: (o, l) => f.read(o, l),
      write: async (o, d) => {
        if (o <= BATMAP_HEADER && o + d.length > BATMAP_HEADER) n++;
        return f.write(o, d);
      },
      truncate: (l) => f.truncate(l),
      sync: () => f.sync(),
    };
    return { img: await VhdImage.over(w), writes: () => n, close: () => f.close() };
  };
  const c = await counted(child);
  await writeVhdSectors(c.img, 512, Buffer.alloc(4096, 1)); // block 0, partial
  await writeVhdSectors(c.img, 5 * MiB, Buffer.alloc(MiB, 2)); // block 2, partial
  assert.equal(c.writes(), 0, 'no block became full');
  await writeVhdSectors(c.img, 0, Buffer.alloc(16 * MiB, 3)); // all eight blocks full at once
  assert.equal(c.writes(), 1);
  await c.close();
  assert.deepEqual(await batmapMismatches(child), []);
  assert.equal((await readFile(child))[BATMAP_HEADER + 512], 0xff);
  const p = await counted(parent);
  const src = await VhdImage.open(child);
  await mergeVhdBlocks(src, p.img, { winner: 'source' });
  await src.close();
  assert.equal(p.writes(), 1, 'one batmap write for eight new full blocks');
  await p.close();
  await assertVhdSound(parent);
  await assertVhdSound(child);
});
