import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlktapBackend } from '../../../src/backends/blktap/blktap-backend.js';
import type { TapCtl } from '../../../src/backends/blktap/tap-ctl.js';
import { FormatError } from '../../../src/errors.js';
import { noJournal } from '../../../src/backends/backend.js';
import { withFile } from '../../../src/formats/file-access.js';
import { readVhdChain } from '../../../src/formats/vhd/vhd-chain.js';
import { checkVhd } from '../../../src/formats/vhd/vhd-check.js';
import { coalesceVhd, streamVhdIntoChild } from '../../../src/formats/vhd/vhd-coalesce.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { vhdChecksum } from '../../../src/formats/vhd/vhd-footer.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdInfo } from '../../../src/formats/vhd/vhd-info.js';
import { relinkVhd } from '../../../src/formats/vhd/vhd-relink.js';
import { writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import type { Domain } from '../../../src/model/domain.js';
import { tempDir } from './vhd-tools.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';
import { vhdUtilProblem } from '../../util/vhd-util.js';

const MiB = 1024 * 1024;
const noTapCtl: TapCtl = {
  list: () => Promise.reject(new Error('tap-ctl must not run for a shut-off domain')),
  pause: () => Promise.reject(new Error('tap-ctl must not run')),
  unpause: () => Promise.reject(new Error('tap-ctl must not run')),
};

/** base ← disk@s1 ← disk (the leaf), each with some data; a shut-off domain over the leaf. */
async function chain(dir: string): Promise<{ base: string; mid: string; leaf: string; domain: Domain }> {
  const base = join(dir, 'disk@s0.vhd');
  const mid = join(dir, 'disk@s1.vhd');
  const leaf = join(dir, 'disk.vhd');
  await createDynamicVhd(base, 4 * MiB, { uuid: '11111111-1111-4111-8111-111111111111' });
  await createDifferencingVhd(mid, base);
  await createDifferencingVhd(leaf, mid);
  for (const [i, p] of [base, mid, leaf].entries()) {
    const img = await VhdImage.open(p, true);
    await writeVhdSectors(img, i * MiB, Buffer.alloc(MiB + 4096, i + 1));
    await img.close();
  }
  const domain: Domain = { key: 'd', uuid: null, name: 'd', state: 'shutoff', disks: [{ vdev: 'xvda', path: leaf, format: 'vhd', backend: 'tap', readonly: false, cdrom: false }] };
  return { base, mid, leaf, domain };
}

async function files(dir: string): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const n of (await readdir(dir)).sort()) m.set(n, await readFile(join(dir, n)));
  return m;
}

/** Every write path must refuse with `message` and leave every file byte-identical. */
async function refusedEverywhere(dir: string, c: { base: string; mid: string; leaf: string; domain: Domain }, message: RegExp): Promise<void> {
  const before = await files(dir);
  const check = (e: unknown): boolean => e instanceof FormatError && message.test(e.message);
  const backend = new BlktapBackend({ tapCtl: noTapCtl });
  await assert.rejects(readVhdChain(c.leaf), check);
  await assert.rejects(backend.create({ domain: c.domain, disks: c.domain.disks, snapshot: 's2', type: 'external' }, noJournal), check);
  await assert.rejects(backend.delete({ domain: c.domain, snapshot: 's1', type: 'external', disks: [{ vdev: 'xvda', format: 'vhd', backend: 'tap', frozenPath: c.mid }] }, noJournal), check);
  await assert.rejects(streamVhdIntoChild(c.mid, c.leaf), check);
  await assert.rejects(coalesceVhd(c.leaf), check);
  assert.deepEqual(await files(dir), before, 'nothing written');
  const problems = await checkVhd(c.leaf);
  assert.ok(problems.some((p) => message.test(p)), `checkVhd reports it: ${problems.join(' | ')}`);
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a flipped footer byte: checksum mismatch naming the file', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-bad-footer');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.mid);
  b[b.length - 512 + 50] = b[b.length - 512 + 50]! ^ 0x10;
  await writeFile(c.mid, b);
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.mid)}: footer at end of file: footer checksum mismatch \\(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\\)$`));
});

test('a truncated parent: no footer at its end', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-trunc');
  t.after(cleanup);
  const c = await chain(dir);
  const size = (await readFile(c.base)).length;
  await truncate(c.base, size - 1000);
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.base)}: footer at end of file: no VHD footer \\(cookie "conectix" missing\\)$`));
});

test('a dynamic header with a wrong checksum', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-bad-header');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.leaf);
  b.writeUInt32BE((b.readUInt32BE(512 + 36) + 1) >>> 0, 512 + 36);
  await writeFile(c.leaf, b);
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.leaf)}: dynamic header checksum mismatch \\(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\\)$`));
});

test('a BAT entry beyond the end of the file (checksums intact)', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-bad-bat');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.mid);
  b.writeUInt32BE(0x00ffffff, 1536); // BAT entry 0
  await writeFile(c.mid, b);
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.mid)}: BAT entry 0 points beyond the end of the file \\(sector 16777215\\)$`));
});

test('overlapping blocks are found by checkVhd', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-overlap');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.mid);
  b.writeUInt32BE(b.readUInt32BE(1536 + 4), 1536); // block 0 := block 1
  await writeFile(c.mid, b);
  assert.ok((await checkVhd(c.leaf)).includes(`${c.mid}: block 1 overlaps block 0`));
});

test('a parent whose UUID is not the one the child recorded', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-uuid');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.base);
  for (const at of [0, b.length - 512]) {
    b[at + 68] = b[at + 68]! ^ 0xff;
    b.writeUInt32BE(vhdChecksum(b.subarray(at, at + 512), 64), at + 64);
  }
  await writeFile(c.base, b);
  const uuid = (await withFile(c.base, readVhdInfo)).uuid;
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.mid)}: parent ${esc(c.base)} has UUID ${uuid}, the child expects 11111111-1111-4111-8111-111111111111$`));
});

test('a parent whose timestamp is not the one the child recorded is still its parent, as blktap has it', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-ts');
  t.after(cleanup);
  const c = await chain(dir);
  const b = await readFile(c.base);
  const old = b.readUInt32BE(24);
  for (const at of [0, b.length - 512]) {
    b.writeUInt32BE(old + 1, at + 24);
    b.writeUInt32BE(vhdChecksum(b.subarray(at, at + 512), 64), at + 64);
  }
  await writeFile(c.base, b);
  // vhd-util snapshot records the parent's mtime there and nothing in blktap compares it
  assert.deepEqual((await readVhdChain(c.leaf)).map((m) => m.path), [c.leaf, c.mid, c.base]);
  for (const p of [c.leaf, c.mid, c.base]) await assertVhdSound(p);
});

test('batmap damage: a bad checksum, a bit for an unallocated block, a bit for a block that is not full', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-batmap');
  t.after(cleanup);
  const c = await chain(dir);
  const pristine = await readFile(c.mid);
  const hdrAt = 1536 + 512; // after the one-sector BAT of a 4 MiB disk
  const mapAt = Number(pristine.readBigUInt64BE(hdrAt + 8));
  assert.equal(mapAt, hdrAt + 512);
  const reseal = (b: Buffer): void => {
    let sum = 0;
    for (const x of b.subarray(mapAt, mapAt + 512)) sum += x;
    b.writeUInt32BE(~sum >>> 0, hdrAt + 24);
  };
  const damaged = async (edit: (b: Buffer) => void, file = c.mid): Promise<string[]> => {
    const b = Buffer.from(file === c.mid ? pristine : await readFile(file));
    edit(b);
    await writeFile(file, b);
    return checkVhd(file);
  };
  // mid holds sectors of block 0 (1 MiB .. 2 MiB + 4 KiB spans blocks 0 and 1), neither full
  assert.equal(pristine[mapAt], 0);
  let problems = await damaged((b) => { b[mapAt] = 0x80; });
  assert.deepEqual(problems, [`${c.mid}: batmap checksum mismatch (stored 0xffffffff, computed 0xffffff7f)`]);
  await assert.rejects(VhdImage.open(c.mid, true), (e: unknown) => e instanceof FormatError && /batmap checksum mismatch .*; blktap opens it read-only only, and so does xensnap$/.test(e.message));
  assert.notEqual(await vhdUtilProblem(c.mid), null);
  problems = await damaged((b) => { b[mapAt] = 0x80; reseal(b); });
  assert.deepEqual(problems, [`${c.mid}: batmap shows block 0 full, but its bitmap is not`]);
  // the leaf holds sectors of block 1 only (mid restored: checkVhd walks the chain)
  await writeFile(c.mid, pristine);
  const leafBytes = await readFile(c.leaf);
  problems = await damaged((b) => { b[mapAt] = 0x80; reseal(b); }, c.leaf);
  assert.deepEqual(problems, [`${c.leaf}: batmap shows unallocated block 0 full`]);
  assert.match((await vhdUtilProblem(c.leaf))!, /batmap shows unallocated block 0 full/);
  await writeFile(c.leaf, leafBytes);
  problems = await damaged((b) => { b.write('xxxxxxxx', hdrAt, 'latin1'); });
  assert.deepEqual(problems, [`${c.mid}: no batmap header at offset ${hdrAt} (cookie "tdbatmap" missing), which blktap requires of this creator version`]);
  assert.match((await vhdUtilProblem(c.mid))!, /batmap/);
  // readers still read it, as tapdisk does read-only
  assert.equal((await readVhdChain(c.leaf)).length, 3);
});

test('parent locators that point nowhere', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-noparent');
  t.after(cleanup);
  const c = await chain(dir);
  await rm(c.base);
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.mid)}: parent not found \\(locators name ${esc(c.base)}\\)$`));
});

test('a chain that loops back on itself', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-loop');
  t.after(cleanup);
  const c = await chain(dir);
  await relinkVhd(c.mid, c.leaf); // mid ← leaf ← mid
  await refusedEverywhere(dir, c, new RegExp(`^${esc(c.mid)}: parent chain loops back to ${esc(c.leaf)}$`));
});
