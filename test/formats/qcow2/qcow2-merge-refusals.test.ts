import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, FormatError } from '../../../src/errors.js';
import { planParentMerge } from '../../../src/formats/qcow2/qcow2-merge-plan.js';
import { mergeParentIntoChild } from '../../../src/formats/qcow2/qcow2-merge.js';
import { tempDir } from '../vhd/vhd-tools.js';
import { create, img, io, mergeAndVerify, sha, snapshot } from './merge-fixture.js';

/** Rewrites the byte at `at` (header feature bits, refcount order). */
async function patchByte(path: string, at: number, value: (b: number) => number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = value(b[0]!);
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

interface Case {
  name: string;
  /** builds F and its child in `dir`; returns their paths */
  build: (dir: string) => Promise<{ F: string; C: string }>;
  error: RegExp;
  kind?: typeof FormatError | typeof BackendError;
  /** only the merge refuses (the plan needs no redo log) */
  mergeOnly?: boolean;
}

async function plain(dir: string, fOpts?: string, cOpts?: string): Promise<{ F: string; C: string }> {
  const F = join(dir, 'F.qcow2');
  const C = join(dir, 'C.qcow2');
  await create(F, '4M', { o: fOpts });
  await io(F, 'write -P 0x22 0 1M');
  await create(C, '4M', { backing: F, o: cOpts });
  await snapshot(C, 'tag');
  return { F, C };
}

const cases: Case[] = [
  { name: 'dirty child', build: async (d) => { const g = await plain(d); await patchByte(g.C, 79, (b) => b | 1); return g; }, error: /C\.qcow2: the dirty bit is set/ },
  { name: 'dirty F', build: async (d) => { const g = await plain(d); await patchByte(g.F, 79, (b) => b | 1); return g; }, error: /F\.qcow2: the dirty bit is set/ },
  { name: 'corrupt child', build: async (d) => { const g = await plain(d); await patchByte(g.C, 79, (b) => b | 2); return g; }, error: /C\.qcow2: the corrupt bit is set/ },
  { name: 'extended L2 child', build: (d) => plain(d, undefined, 'extended_l2=on'), error: /C\.qcow2: it uses extended L2 entries/ },
  { name: 'extended L2 F', build: (d) => plain(d, 'extended_l2=on'), error: /F\.qcow2: it uses extended L2 entries/ },
  {
    name: 'external data file child',
    build: async (d) => {
      const F = join(d, 'F.qcow2');
      const C = join(d, 'C.qcow2');
      await create(F, '4M');
      await io(F, 'write -P 0x22 0 1M');
      await create(C, '4M', { backing: F, o: `data_file=${join(d, 'C.data')}` });
      return { F, C };
    },
    error: /C\.qcow2: it keeps its guest data in an external data file/,
  },
  {
    name: 'encrypted child',
    build: async (d) => {
      const F = join(d, 'F.qcow2');
      const C = join(d, 'C.qcow2');
      await create(F, '4M');
      await img('create', '-q', '-f', 'qcow2', '--object', 'secret,id=s0,data=123456', '-o', 'encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10', '-b', F, '-F', 'qcow2', C, '4M');
      return { F, C };
    },
    error: /C\.qcow2: it is encrypted \(LUKS\)/,
  },
  { name: 'zstd F', build: (d) => plain(d, 'compression_type=zstd'), error: /F\.qcow2: its compressed clusters use compression type zstd/ },
  {
    name: 'raw F',
    build: async (d) => {
      const F = join(d, 'F.raw');
      const C = join(d, 'C.qcow2');
      await writeFile(F, Buffer.alloc(4 << 20, 7));
      await create(C, '4M', { backing: F, fmt: 'raw' });
      return { F, C };
    },
    error: /F\.raw: it is a raw image, not qcow2/,
  },
  {
    name: 'child larger than an F that has a backing file',
    build: async (d) => {
      const P = join(d, 'P.qcow2');
      const F = join(d, 'F.qcow2');
      const C = join(d, 'C.qcow2');
      await create(P, '8M');
      await create(F, '4M', { backing: P });
      await create(C, '8M', { backing: F });
      return { F, C };
    },
    error: /the active layer is 8388608 bytes, larger than .*F\.qcow2 \(4194304 bytes\)/,
  },
  {
    name: 'a child cluster mixing F data and a fall-through',
    build: async (d) => {
      const F = join(d, 'F.qcow2');
      const C = join(d, 'C.qcow2');
      await create(F, '4M');
      await io(F, 'write -P 0x22 64k 64k');
      await create(C, '4M', { backing: F, o: 'cluster_size=131072' });
      return { F, C };
    },
    error: /F\.qcow2: guest bytes 0\.\.131071 are partly allocated in this image and partly fall through/,
  },
  {
    name: 'a child of another file',
    build: async (d) => {
      const { F } = await plain(d);
      const other = join(d, 'other.qcow2');
      const C = join(d, 'C2.qcow2');
      await create(other, '4M');
      await create(C, '4M', { backing: other });
      return { F, C };
    },
    error: /C2\.qcow2: its backing file is ".*other\.qcow2", not .*F\.qcow2/,
  },
  {
    name: 'a child that opens F as raw',
    build: async (d) => {
      const { F } = await plain(d);
      const C = join(d, 'C2.qcow2');
      await create(C, '4M', { backing: F, fmt: 'raw' });
      return { F, C };
    },
    error: /C2\.qcow2: it opens its backing file as raw, not qcow2/,
  },
  { name: 'refcount_order 7', build: async (d) => { const g = await plain(d); await patchByte(g.C, 99, () => 7); return g; }, error: /C\.qcow2: refcount_order 7 is not one of 0\.\.6/ },
  { name: 'unknown auto-clear bit', build: async (d) => { const g = await plain(d); await patchByte(g.C, 95, (b) => b | 0x10); return g; }, error: /C\.qcow2: unknown auto-clear feature bits 0x10 are set/ },
  {
    name: 'an L2 table whose refcount is not its number of users',
    build: async (d) => {
      const g = await plain(d);
      await io(g.C, 'write -P 0x33 2M 64k');
      await snapshot(g.C, 'tag2');
      // Raise the refcount of the active L2 table (shared with tag2: 2) to 3, a leak.
      const buf = await readFile(g.C);
      const entryAt = (o: bigint) => Number(buf.readBigUInt64BE(Number(o)) & 0x00fffffffffffe00n);
      const l2 = entryAt(buf.readBigUInt64BE(40)); // active L1 entry 0
      const block = entryAt(buf.readBigUInt64BE(48)); // refcount table entry 0
      assert.equal(buf.readUInt16BE(block + (l2 / 65536) * 2), 2);
      buf.writeUInt16BE(3, block + (l2 / 65536) * 2);
      await writeFile(g.C, buf);
      return g;
    },
    error: /C\.qcow2: the L2 table at \d+ has refcount 3 but 2 L1 entries use it/,
  },
  {
    name: 'a redo log left by an interrupted merge',
    build: async (d) => {
      const g = await plain(d);
      await writeFile(`${g.C}.redo`, 'XSQ2REDO');
      return g;
    },
    error: /redo log .*C\.qcow2\.redo exists from an interrupted merge; run recoverParentMerge first/,
    kind: BackendError,
    mergeOnly: true,
  },
];

for (const c of cases) {
  test(`refused, changing nothing: ${c.name}`, async (t) => {
    const { dir, cleanup } = await tempDir('q2merge-refuse');
    t.after(cleanup);
    const { F, C } = await c.build(dir);
    const files = [F, C, `${C}.redo`];
    const hashes = async () => Promise.all(files.map(async (p) => ((await stat(p).catch(() => null)) ? sha(p) : 'absent')));
    const before = await hashes();
    const kind = c.kind ?? FormatError;
    if (!c.mergeOnly) await assert.rejects(planParentMerge(F, [C]), (e: Error) => e instanceof kind && c.error.test(e.message));
    await assert.rejects(mergeParentIntoChild(F, C, { redoLog: `${C}.redo` }), (e: Error) => e instanceof kind && c.error.test(e.message));
    assert.deepEqual(await hashes(), before, 'no byte changed, no redo log left');
  });
}

test('accepted: a child with zstd compression (its own compressed clusters are never touched)', async (t) => {
  const { dir, cleanup } = await tempDir('q2merge-zstd');
  t.after(cleanup);
  const F = join(dir, 'F.qcow2');
  const C = join(dir, 'C.qcow2');
  await create(F, '4M');
  await io(F, 'write -c -P 0x22 0 1M');
  await create(C, '4M', { backing: F, o: 'compression_type=zstd' });
  await io(C, 'write -c -P 0x33 1M 128k');
  await snapshot(C, 'tag');
  await io(C, 'write -P 0x34 0 64k');
  await mergeAndVerify({ dir, parent: F, grand: null, children: [C] });
});
