import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withFile } from '../../../src/formats/file-access.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { chsGeometry } from '../../../src/formats/vhd/vhd-footer.js';
import { readVhdInfo } from '../../../src/formats/vhd/vhd-info.js';
import { resolveVhdParent } from '../../../src/formats/vhd/vhd-parent.js';
import { run } from '../../../src/util/exec.js';
import { composedContents, tempDir, vhdiinfo } from './vhd-tools.js';
import { vhdUtilProblem } from '../../util/vhd-util.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';

const MiB = 1024 * 1024;

test('a dynamic VHD has the exact size, spec geometry, footer copy and an empty BAT', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-create');
  t.after(cleanup);
  const p = join(dir, 'base.vhd');
  const size = 10 * MiB + 3 * 512;
  await createDynamicVhd(p, size, { uuid: '01234567-89ab-cdef-0123-456789abcdef', date: new Date('2024-01-02T03:04:05Z') });
  const info = await withFile(p, readVhdInfo);
  assert.deepEqual(info, {
    diskType: 'dynamic',
    currentSize: size,
    uuid: '01234567-89ab-cdef-0123-456789abcdef',
    timestamp: Math.floor((Date.parse('2024-01-02T03:04:05Z') - Date.UTC(2000, 0, 1)) / 1000),
    hidden: false,
    blockSize: 2 * MiB,
    maxBatEntries: 6,
    batOffset: 1536,
    allocatedBlocks: 0,
    parentLocators: [],
  });
  const bytes = await readFile(p);
  // footer copy, header, BAT (one sector), batmap header, batmap (one sector), footer
  assert.equal(bytes.length, 512 + 1024 + 512 + 512 + 512 + 512);
  assert.deepEqual(bytes.subarray(0, 512), bytes.subarray(bytes.length - 512));
  assert.deepEqual(bytes.subarray(1536, 1536 + 24), Buffer.alloc(24, 0xff));
  const batmap = bytes.subarray(2048, 2560);
  assert.equal(batmap.toString('latin1', 0, 8), 'tdbatmap');
  assert.deepEqual([Number(batmap.readBigUInt64BE(8)), batmap.readUInt32BE(16), batmap.readUInt32BE(20), batmap.readUInt32BE(24)], [2560, 1, 0x00010002, 0xffffffff]);
  assert.deepEqual(batmap.subarray(28), Buffer.alloc(512 - 28));
  assert.deepEqual(bytes.subarray(2560, 3072), Buffer.alloc(512));
  assert.equal(bytes.readUInt32BE(bytes.length - 512 + 36), 0, 'creator OS 0, as vhd_initialize_footer leaves it');
  assert.equal(await vhdUtilProblem(p), null);
  const g = chsGeometry(size);
  assert.deepEqual([bytes.readUInt16BE(bytes.length - 512 + 56), bytes[bytes.length - 512 + 58], bytes[bytes.length - 512 + 59]], [g.cylinders, g.heads, g.sectors]);
  assert.deepEqual(await vhdiinfo(p), { diskType: 'Dynamic', mediaSize: size, identifier: info.uuid, parentIdentifier: undefined, parentFilename: undefined });
  assert.deepEqual(await composedContents([p]), [Buffer.alloc(size)]);
  await assertVhdSound(p);
});

test('geometry matches what qemu-img writes for the same size', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-geom');
  t.after(cleanup);
  for (const [i, size] of ['64M', '1G', '3000M', '130G'].entries()) {
    const p = join(dir, `q${i}.vhd`);
    await run('qemu-img', ['create', '-q', '-f', 'vpc', p, size]);
    const b = await readFile(p);
    const f = b.subarray(b.length - 512);
    const real = Number(f.readBigUInt64BE(48));
    assert.deepEqual(chsGeometry(real), { cylinders: f.readUInt16BE(56), heads: f[58], sectors: f[59] }, size);
  }
});

test('a differencing child names its parent the way blktap does, and survives moving the chain', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-diff');
  t.after(cleanup);
  const base = join(dir, 'disk@snap1.vhd');
  const child = join(dir, 'disk.vhd');
  await createDynamicVhd(base, 16 * MiB, { uuid: 'aaaaaaaa-0000-4000-8000-000000000001' });
  await createDifferencingVhd(child, base, { hidden: true });
  const pinfo = await withFile(base, readVhdInfo);
  const info = await withFile(child, readVhdInfo);
  assert.equal(info.diskType, 'differencing');
  assert.equal(info.hidden, true);
  assert.equal(info.currentSize, 16 * MiB);
  assert.equal(info.parentUuid, 'aaaaaaaa-0000-4000-8000-000000000001');
  assert.equal(info.parentTimestamp, pinfo.timestamp);
  assert.equal(info.parentName, 'disk@snap1.vhd');
  assert.deepEqual(info.parentLocators, [
    { code: 'MacX', path: './disk@snap1.vhd' },
    { code: 'W2ku', path: './disk@snap1.vhd' },
    { code: 'W2ru', path: './disk@snap1.vhd' },
  ]);
  const raw = await readFile(child);
  const hdr = raw.subarray(512, 1536);
  const macx = Number(hdr.readBigUInt64BE(576 + 16));
  assert.equal(raw.toString('utf8', macx, macx + hdr.readUInt32BE(576 + 8)), 'file://./disk@snap1.vhd');
  assert.equal(macx, 3072, 'locators follow the batmap');
  assert.equal(hdr.readUInt32BE(576 + 4), 512, 'data space in bytes, as blktap writes it');
  for (const i of [1, 2]) {
    const at = Number(hdr.readBigUInt64BE(576 + i * 24 + 16));
    assert.equal(at, 3072 + i * 512);
    assert.equal(raw.toString('utf16le', at, at + hdr.readUInt32BE(576 + i * 24 + 8)), '.\\disk@snap1.vhd');
  }
  assert.equal(await vhdUtilProblem(child), null);
  assert.equal(resolveVhdParent(child, info), base);
  const vi = await vhdiinfo(child);
  assert.deepEqual([vi.diskType, vi.mediaSize, vi.parentIdentifier, vi.parentFilename], ['Differential', 16 * MiB, info.parentUuid, 'disk@snap1.vhd']);
  // Every locator is relative, as vhd-util writes them: moving the directory keeps the chain.
  const moved = join(dir, 'moved');
  await mkdir(moved);
  await rename(base, join(moved, 'disk@snap1.vhd'));
  await rename(child, join(moved, 'disk.vhd'));
  assert.equal(resolveVhdParent(join(moved, 'disk.vhd'), info), join(moved, 'disk@snap1.vhd'));
  await assertVhdSound(join(moved, 'disk.vhd'));
  assert.equal(await vhdUtilProblem(join(moved, 'disk.vhd')), null);
});

test('create refuses an existing path and sizes that are not whole sectors', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-refuse');
  t.after(cleanup);
  const p = join(dir, 'a.vhd');
  await createDynamicVhd(p, MiB);
  const before = await readFile(p);
  await assert.rejects(createDynamicVhd(p, 2 * MiB), { code: 'EEXIST' });
  assert.deepEqual(await readFile(p), before);
  await assert.rejects(createDynamicVhd(join(dir, 'b.vhd'), 1000), /VHD size must be a positive multiple of 512, got 1000/);
});
