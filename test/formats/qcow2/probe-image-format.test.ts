import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferFileAccess, withFile } from '../../../src/formats/file-access.js';
import { probeImageFormat } from '../../../src/formats/probe-image-format.js';
import { qemuImg } from './qcow2-fixtures.js';
import { buildQcow2 } from './build-qcow2.js';

const probe = (buf: Buffer) => probeImageFormat(new BufferFileAccess('x', buf));

test('probes real images made by qemu-img: qcow2 v2/v3, VHD dynamic and fixed, raw', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-probe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: [string, string[], string][] = [
    ['a.qcow2', ['-f', 'qcow2', '-o', 'compat=0.10'], 'qcow2'],
    ['b.qcow2', ['-f', 'qcow2'], 'qcow2'],
    ['c.vhd', ['-f', 'vpc'], 'vhd'],
    ['d.vhd', ['-f', 'vpc', '-o', 'subformat=fixed'], 'vhd'],
    ['e.img', ['-f', 'raw'], 'raw'],
  ];
  for (const [name, args, want] of cases) {
    const p = join(dir, name);
    await qemuImg(['create', '-q', ...args, p, '4M']);
    assert.equal(await withFile(p, probeImageFormat), want, name);
  }
});

test('probes by content: footer at the end (512 or 511 bytes) or at 0; anything else is raw', async () => {
  const cookie = Buffer.from('conectix');
  const withAt = (size: number, at: number) => {
    const b = Buffer.alloc(size);
    cookie.copy(b, at);
    return b;
  };
  assert.equal(await probe(buildQcow2()), 'qcow2');
  assert.equal(await probe(withAt(4096, 4096 - 512)), 'vhd');
  assert.equal(await probe(withAt(4095, 4095 - 511)), 'vhd');
  assert.equal(await probe(withAt(511, 0)), 'vhd');
  assert.equal(await probe(withAt(8, 0)), 'vhd');
  assert.equal(await probe(withAt(4096, 1000)), 'raw');
  assert.equal(await probe(withAt(4096, 4096 - 510)), 'raw');
  assert.equal(await probe(Buffer.alloc(0)), 'raw');
  assert.equal(await probe(Buffer.from('QFI')), 'raw');
  assert.equal(await probe(Buffer.alloc(1 << 20)), 'raw');
});
