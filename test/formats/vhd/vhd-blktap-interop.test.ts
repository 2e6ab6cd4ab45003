// xensnap's VHDs against blktap's own vhd-util (v4.0.8), both ways: what xensnap writes is what
// vhd-util writes, vhd-util reads and coalesces xensnap's chains, xensnap reads vhd-util's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { withFile } from '../../../src/formats/file-access.js';
import { readVhdChain } from '../../../src/formats/vhd/vhd-chain.js';
import { coalesceVhd, streamVhdIntoChild } from '../../../src/formats/vhd/vhd-coalesce.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { formatUuid, vhdDate } from '../../../src/formats/vhd/vhd-footer.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdLayout } from '../../../src/formats/vhd/vhd-info.js';
import { resolveVhdParent } from '../../../src/formats/vhd/vhd-parent.js';
import { relinkVhd } from '../../../src/formats/vhd/vhd-relink.js';
import { readVhdSectors, writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import { assertVhdSound, batmapMismatches } from '../../util/batmap-oracle.js';
import { vhdUtil, vhdUtilPath } from '../../util/vhd-util.js';
import { prng, tempDir } from './vhd-tools.js';

const MiB = 1024 * 1024;
const SIZE = 10 * MiB; // five 2 MiB blocks
const skip = (await vhdUtilPath()) ? false : 'vhd-util not found (set VHD_UTIL): blktap interop not checked';

/** The chain's content as xensnap reads it. */
async function ours(leaf: string): Promise<Buffer> {
  const imgs = await Promise.all((await readVhdChain(leaf)).map((m) => VhdImage.open(m.path)));
  try {
    return await readVhdSectors(imgs, 0, imgs[0]!.layout.info.currentSize);
  } finally {
    for (const i of imgs) await i.close();
  }
}

/** The chain's content as vhd-util reads it (`read -r 0 -c SECTORS`, through the parents). */
async function theirs(leaf: string): Promise<Buffer> {
  return vhdUtil(['read', '-n', leaf, '-r', '0', '-c', String(SIZE / 512)]);
}

const query = async (f: string, ...flags: string[]): Promise<string> => (await vhdUtil(['query', '-n', f, ...flags])).toString().trim();

/** Seeded writes through xensnap's writer: whole blocks, partial runs, single sectors; applied to `ref` too. */
async function scribble(path: string, ref: Buffer, seed: number, n = 6): Promise<void> {
  const r = prng(seed);
  const img = await VhdImage.open(path, true);
  try {
    for (let i = 0; i < n; i++) {
      const kind = r.int(3);
      const len = kind === 0 ? 2 * MiB : kind === 1 ? (1 + r.int(600)) * 512 : 512;
      const off = kind === 0 ? r.int(SIZE / (2 * MiB)) * 2 * MiB : r.int((SIZE - len) / 512) * 512;
      const data = Buffer.alloc(len);
      for (let k = 0; k < len; k += 512) data.fill((seed * 31 + i * 7 + k / 512) & 0xff, k, k + 512);
      data.copy(ref, off);
      await writeVhdSectors(img, off, data);
    }
  } finally {
    await img.close();
  }
}

test('xensnap writes byte for byte what vhd-util create and vhd-util snapshot write', { skip }, async (t) => {
  const { dir, cleanup } = await tempDir('vhd-peer-bytes');
  t.after(cleanup);
  for (const d of ['u', 'x', 'u/sub', 'x/sub']) await mkdir(join(dir, d));
  const [u, x] = [join(dir, 'u'), join(dir, 'x')];
  await vhdUtil(['create', '-n', join(u, 'disk@s1.vhd'), '-s', '10']);
  await vhdUtil(['snapshot', '-n', join(u, 'disk.vhd'), '-p', join(u, 'disk@s1.vhd')]);
  await vhdUtil(['snapshot', '-n', join(u, 'sub/other.vhd'), '-p', join(u, 'disk@s1.vhd')]);
  const footer = async (p: string) => (await withFile(p, readVhdLayout)).footer;
  const opts = async (p: string) => {
    const f = await footer(p);
    return { uuid: formatUuid(f.uuid), date: vhdDate(f.timestamp) };
  };
  await createDynamicVhd(join(x, 'disk@s1.vhd'), SIZE, await opts(join(u, 'disk@s1.vhd')));
  await createDifferencingVhd(join(x, 'disk.vhd'), join(x, 'disk@s1.vhd'), await opts(join(u, 'disk.vhd')));
  await createDifferencingVhd(join(x, 'sub/other.vhd'), join(x, 'disk@s1.vhd'), await opts(join(u, 'sub/other.vhd')));
  assert.deepEqual(await readFile(join(x, 'disk@s1.vhd')), await readFile(join(u, 'disk@s1.vhd')));
  for (const child of ['disk.vhd', 'sub/other.vhd']) {
    const mine = await readFile(join(x, child));
    const peer = await readFile(join(u, child));
    // blktap records the parent's mtime as the parent timestamp, xensnap the parent's footer
    // timestamp: equal here unless the second turned between create and snapshot
    const ts = (b: Buffer): number => b.readUInt32BE(512 + 56);
    if (ts(mine) !== ts(peer)) {
      t.diagnostic(`parent timestamp differs by ${ts(peer) - ts(mine)} s (mtime vs footer): compared without it`);
      for (const b of [mine, peer]) b.fill(0, 512 + 36, 512 + 40).fill(0, 512 + 56, 512 + 60);
    }
    assert.deepEqual(mine, peer, child);
    await assertVhdSound(join(x, child));
  }
  // the locators as bytes: MacX file://./name, W2ku and W2ru .\name (UTF-16LE), relative across directories too
  const other = await readFile(join(x, 'sub/other.vhd'));
  const loc = (i: number): Buffer => other.subarray(Number(other.readBigUInt64BE(512 + 576 + i * 24 + 16)), Number(other.readBigUInt64BE(512 + 576 + i * 24 + 16)) + other.readUInt32BE(512 + 576 + i * 24 + 8));
  assert.equal(loc(0).toString('latin1'), 'file://../disk@s1.vhd');
  assert.equal(loc(1).toString('utf16le'), '.\\..\\disk@s1.vhd');
  assert.equal(loc(2).toString('utf16le'), '.\\..\\disk@s1.vhd');
});

test('vhd-util reads xensnap chains through writes, streams and re-links, and the batmap stays true', { skip }, async (t) => {
  const { dir, cleanup } = await tempDir('vhd-peer-read');
  t.after(cleanup);
  const paths = ['base.vhd', 's1.vhd', 's2.vhd', 'top.vhd'].map((n) => join(dir, n));
  const [base, s1, s2, top] = paths as [string, string, string, string];
  const ref = Buffer.alloc(SIZE);
  await createDynamicVhd(base, SIZE);
  await scribble(base, ref, 1);
  const refs = [Buffer.from(ref)];
  for (const [i, p] of [s1, s2, top].entries()) {
    await createDifferencingVhd(p, paths[i]!);
    await scribble(p, ref, i + 2);
    refs.push(Buffer.from(ref));
  }
  const agree = async (leaf: string, want: Buffer, note: string): Promise<void> => {
    await assertVhdSound(leaf, note);
    assert.deepEqual(await ours(leaf), want, `${note}: xensnap reads the reference`);
    assert.deepEqual(await theirs(leaf), want, `${note}: vhd-util reads the reference`);
    const layout = await withFile(leaf, readVhdLayout);
    assert.equal(Number(await query(leaf, '-a')), layout.info.allocatedBlocks, `${note}: allocated blocks`);
    // vhd-util's batmap (read -a dumps the map's sectors) is the one xensnap decodes
    const map = await vhdUtil(['read', '-n', leaf, '-a']);
    assert.deepEqual(map.subarray(0, layout.batmap!.map.length), layout.batmap!.map, `${note}: batmap as vhd-util reads it`);
  };
  for (const [i, p] of paths.entries()) await agree(p, refs[i]!, `${p} as written`);
  // the parent as xensnap wrote it (-u) and as vhd-util resolves it
  assert.equal(await query(top, '-p', '-u'), './s2.vhd');
  assert.equal(await query(top, '-p'), s2);
  // stream s2 into top, then s1: two re-links of the same child (the second uses the parked area)
  await streamVhdIntoChild(s2, top);
  assert.equal(await query(top, '-p'), s1);
  await agree(top, refs[3]!, 'top after s2 streamed in');
  await streamVhdIntoChild(s1, top);
  assert.equal(await query(top, '-p', '-u'), './base.vhd');
  assert.equal(await query(top, '-p'), base);
  await agree(top, refs[3]!, 'top after s1 streamed in');
  // re-linking again to the same parent is harmless (idempotent recovery)
  await relinkVhd(top, base);
  await agree(top, refs[3]!, 'top re-linked again');
  // coalesce top into base: base now reads as top did
  await coalesceVhd(top);
  await agree(base, refs[3]!, 'base after top coalesced into it');
  await streamVhdIntoChild(base, top);
  assert.equal((await withFile(top, readVhdLayout)).info.diskType, 'dynamic');
  await agree(top, refs[3]!, 'top made a root');
});

test('vhd-util coalesce of a copy of a xensnap chain gives what xensnap coalesce gives', { skip }, async (t) => {
  const { dir, cleanup } = await tempDir('vhd-peer-coalesce');
  t.after(cleanup);
  for (const d of ['a', 'b']) await mkdir(join(dir, d));
  const ref = Buffer.alloc(SIZE);
  const [base, mid, top] = ['base.vhd', 'mid.vhd', 'top.vhd'].map((n) => join(dir, 'a', n)) as [string, string, string];
  await createDynamicVhd(base, SIZE);
  await scribble(base, ref, 11);
  await createDifferencingVhd(mid, base);
  await scribble(mid, ref, 12);
  await createDifferencingVhd(top, mid);
  await scribble(top, ref, 13, 9);
  for (const n of ['base.vhd', 'mid.vhd', 'top.vhd']) await copyFile(join(dir, 'a', n), join(dir, 'b', n));
  await coalesceVhd(top);
  await vhdUtil(['coalesce', '-n', join(dir, 'b', 'top.vhd')]);
  assert.deepEqual(await ours(mid), ref);
  assert.deepEqual(await ours(join(dir, 'b', 'mid.vhd')), ref, 'xensnap reads what vhd-util coalesced');
  assert.deepEqual(await theirs(mid), ref, 'vhd-util reads what xensnap coalesced');
  await assertVhdSound(mid);
  // vhd-util marks only blocks it filled itself: clear bits for other full blocks are allowed
  await assertVhdSound(join(dir, 'b', 'mid.vhd'), 'vhd-util coalesced mid', false);
});

test('xensnap reads and writes chains vhd-util made: size, parent, allocation, contents', { skip }, async (t) => {
  const { dir, cleanup } = await tempDir('vhd-peer-theirs');
  t.after(cleanup);
  const [base, s1, top] = ['base.vhd', 's1.vhd', 'top.vhd'].map((n) => join(dir, n)) as [string, string, string];
  const ref = Buffer.alloc(SIZE);
  await vhdUtil(['create', '-n', base, '-s', String(SIZE / MiB)]);
  await vhdUtil(['snapshot', '-n', s1, '-p', base]);
  await scribble(s1, ref, 21, 8);
  // vhd-util's own writes: coalescing s1 into base writes through libvhd (bitmaps, batmap)
  await vhdUtil(['coalesce', '-n', s1]);
  await vhdUtil(['snapshot', '-n', top, '-p', s1]);
  await scribble(top, ref, 22);
  for (const p of [base, s1, top]) await assertVhdSound(p, `${p} (vhd-util made)`, false);
  const layout = await withFile(top, readVhdLayout);
  assert.equal(layout.info.currentSize, SIZE);
  assert.equal(Number(await query(top, '-v')) * MiB, SIZE);
  assert.equal(resolveVhdParent(top, layout.info), s1);
  assert.equal(await query(top, '-p'), s1);
  for (const p of [base, s1, top]) {
    assert.equal((await withFile(p, readVhdLayout)).info.allocatedBlocks, Number(await query(p, '-a')), `${p}: allocated blocks`);
  }
  assert.deepEqual(await ours(top), ref);
  assert.deepEqual(await theirs(top), ref);
  // and xensnap's stream and re-link on vhd-util's chain
  await streamVhdIntoChild(s1, top);
  assert.equal(await query(top, '-p'), base);
  assert.deepEqual(await theirs(top), ref);
  await assertVhdSound(top, 'top after s1 streamed in', false);
  assert.deepEqual(await batmapMismatches(top, false), []);
  assert.ok((await stat(top)).size > 0);
});

test('non-ASCII parent names are refused before anything is written: blktap cannot decode them', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-ascii');
  t.after(cleanup);
  const parent = join(dir, 'диск@s1.vhd');
  await createDynamicVhd(parent, SIZE);
  const refused = (e: unknown): boolean => e instanceof FormatError && e.message === `${parent}: parent path is not ASCII: blktap (vhd-util, tapdisk) can only decode ASCII parent names and locators`;
  await assert.rejects(createDifferencingVhd(join(dir, 'child.vhd'), parent), refused);
  await assert.rejects(stat(join(dir, 'child.vhd')), { code: 'ENOENT' });
  const a = join(dir, 'a.vhd');
  const c = join(dir, 'c.vhd');
  await createDynamicVhd(a, SIZE);
  await createDifferencingVhd(c, a);
  const before = await readFile(c);
  await assert.rejects(relinkVhd(c, parent), refused);
  assert.deepEqual(await readFile(c), before);
});
