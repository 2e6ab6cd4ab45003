import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferFileAccess, type FileAccess } from '../../../src/formats/file-access.js';
import { readQcow2Info } from '../../../src/formats/qcow2/read-qcow2-info.js';
import { buildQcow2, extraData, type BuildOptions } from './build-qcow2.js';

const NAME = 'img.qcow2';
const read = (buf: Buffer) => readQcow2Info(new BufferFileAccess(NAME, buf));

async function rejectsWith(buf: Buffer | FileAccess, problem: string): Promise<void> {
  const f = Buffer.isBuffer(buf) ? new BufferFileAccess(NAME, buf) : buf;
  await assert.rejects(readQcow2Info(f), (err: Error) => {
    assert.equal(err.name, 'FormatError');
    assert.equal(err.message, `${NAME}: ${problem}`);
    return true;
  });
}

function patched(o: BuildOptions, patch: (b: Buffer) => void): Buffer {
  const b = buildQcow2(o);
  patch(b);
  return b;
}

/** Counts calls so tests can check the reader reads in a few large reads, not per field. */
class CountingAccess implements FileAccess {
  reads = 0;
  constructor(
    readonly name: string,
    private readonly inner: FileAccess,
  ) {}
  size() {
    return this.inner.size();
  }
  read(offset: number, length: number) {
    this.reads++;
    return this.inner.read(offset, length);
  }
}

test('v2 image: backing file, format and a table of three snapshots with QEMU extra data', async () => {
  const info = await read(
    buildQcow2({
      version: 2,
      virtualSize: 10n << 30n,
      backingFile: '../base images/base.raw',
      backingFormat: 'raw',
      snapshots: [
        { id: '1', name: 'first', dateSec: 1_700_000_001, dateNsec: 5, extra: extraData(0n, 10n << 30n) },
        { id: '2', name: 'héllo wörld 🚀', dateSec: 1_700_000_002, dateNsec: 999_999_999, extra: extraData(123_456n, 5n << 30n) },
        { id: '10', name: 'first', dateSec: 4_294_967_295, dateNsec: 0, extra: extraData(0n, 10n << 30n) },
      ],
    }),
  );
  assert.deepEqual(info, {
    version: 2,
    clusterBits: 16,
    virtualSize: 10 * 2 ** 30,
    backingFile: '../base images/base.raw',
    backingFormat: 'raw',
    snapshots: [
      { id: '1', name: 'first', dateSec: 1_700_000_001, dateNsec: 5, vmStateSize: 0, diskSize: 10 * 2 ** 30 },
      { id: '2', name: 'héllo wörld 🚀', dateSec: 1_700_000_002, dateNsec: 999_999_999, vmStateSize: 123_456, diskSize: 5 * 2 ** 30 },
      { id: '10', name: 'first', dateSec: 4_294_967_295, dateNsec: 0, vmStateSize: 0, diskSize: 10 * 2 ** 30 },
    ],
  });
});

test('v3 image: dirty and corrupt bits, no backing file', async () => {
  const info = await read(buildQcow2({ version: 3, clusterBits: 9, incompatible: 3n }));
  assert.deepEqual(info, { version: 3, clusterBits: 9, virtualSize: 2 ** 30, backingFile: null, backingFormat: null, snapshots: [], dirty: true, corrupt: true });
  const clean = await read(buildQcow2({ version: 3, incompatible: 0x1cn }));
  assert.equal(clean.dirty, false);
  assert.equal(clean.corrupt, false);
});

test('extra data: absent → 32-bit VM state and no disk size; 8 bytes → 64-bit VM state; unknown bytes skipped', async () => {
  const eight = Buffer.alloc(8);
  eight.writeBigUInt64BE(5n << 30n);
  const forty = Buffer.concat([extraData(77n, 1n << 20n), Buffer.alloc(16, 0xee)]);
  const info = await read(
    buildQcow2({
      snapshots: [
        { id: '1', name: 'old', vmState32: 4096 },
        { id: '2', name: 'big memory', vmState32: 1, extra: eight },
        { id: '3', name: 'future', vmState32: 9, extra: forty },
        { id: '4', name: '' },
      ],
    }),
  );
  assert.deepEqual(
    info.snapshots.map((s) => [s.id, s.name, s.vmStateSize, s.diskSize]),
    [
      ['1', 'old', 4096, null],
      ['2', 'big memory', 5 * 2 ** 30, null],
      ['3', 'future', 77, 2 ** 20],
      ['4', '', 0, null],
    ],
  );
});

test('header extensions: unknown ones are skipped, the walk ends at the marker or at the backing name', async () => {
  const unknown = [{ type: 0x6803f857, data: Buffer.alloc(13, 1) }, { type: 0x12345678, data: Buffer.alloc(0) }];
  const a = await read(buildQcow2({ extensions: unknown, backingFormat: 'qcow2', backingFile: 'b.qcow2' }));
  assert.deepEqual([a.backingFile, a.backingFormat], ['b.qcow2', 'qcow2']);
  const b = await read(buildQcow2({ extensions: unknown, backingFormat: 'raw', backingFile: '/abs/b.raw', omitEndMarker: true }));
  assert.deepEqual([b.backingFile, b.backingFormat], ['/abs/b.raw', 'raw']);
  // A format extension without a backing file means nothing: reported as null.
  const c = await read(buildQcow2({ backingFormat: 'raw' }));
  assert.deepEqual([c.backingFile, c.backingFormat], [null, null]);
  // An empty backing file name is no backing file.
  const d = await read(buildQcow2({ backingFile: '', backingFormat: 'raw' }));
  assert.deepEqual([d.backingFile, d.backingFormat], [null, null]);
  // Extensions and a backing name beyond the first 4 KiB: the reader reads further, a few times at most.
  const big = [{ type: 0x23852875, data: Buffer.alloc(9000, 7) }];
  const name = `/images/${'deep/'.repeat(210)}base.qcow2`.slice(0, 1023);
  const f = new CountingAccess(NAME, new BufferFileAccess(NAME, buildQcow2({ extensions: big, backingFormat: 'qcow2', backingFile: name })));
  const e = await readQcow2Info(f);
  assert.deepEqual([e.backingFile, e.backingFormat], [name, 'qcow2']);
  assert.equal(name.length, 1023);
  assert.ok(f.reads <= 3, `${f.reads} reads`);
});

test('a typical image is read in two reads: the first 4 KiB and the whole snapshot table', async () => {
  const snapshots = Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), name: `daily-2024010${i}T000000Z`, extra: extraData(0n, 1n << 30n) }));
  const f = new CountingAccess(NAME, new BufferFileAccess(NAME, buildQcow2({ backingFile: 'base.qcow2', backingFormat: 'qcow2', snapshots })));
  assert.equal((await readQcow2Info(f)).snapshots.length, 20);
  assert.equal(f.reads, 2);
  // 1,000 snapshots with 300-byte names: the table grows by doubling, still a handful of reads.
  const many = Array.from({ length: 1000 }, (_, i) => ({ id: String(i + 1), name: 'n'.repeat(300), extra: extraData(0n, 1n << 30n) }));
  const g = new CountingAccess(NAME, new BufferFileAccess(NAME, buildQcow2({ snapshots: many })));
  assert.equal((await readQcow2Info(g)).snapshots.length, 1000);
  assert.ok(g.reads <= 4, `${g.reads} reads`);
});

test('fixed header problems are FormatErrors with a clear message', async () => {
  await rejectsWith(Buffer.alloc(0), 'file is too short for a qcow2 header (0 bytes)');
  await rejectsWith(buildQcow2({ version: 3 }).subarray(0, 80), 'file is too short for a qcow2 v3 header (80 bytes)');
  await rejectsWith(Buffer.alloc(4096), 'not a qcow2 image (bad magic)');
  await rejectsWith(patched({}, (b) => b.writeUInt32BE(4, 4)), 'unsupported qcow2 version 4');
  await rejectsWith(patched({}, (b) => b.writeUInt32BE(8, 20)), 'cluster_bits 8 is outside 9..21');
  await rejectsWith(patched({}, (b) => b.writeUInt32BE(22, 20)), 'cluster_bits 22 is outside 9..21');
  await rejectsWith(patched({}, (b) => b.writeBigUInt64BE(1n << 63n, 24)), 'virtual size is out of range (9223372036854775808)');
  await rejectsWith(buildQcow2({ incompatible: 0x21n }), 'unknown incompatible feature bits 0x20');
  await rejectsWith(patched({}, (b) => b.writeUInt32BE(100, 100)), 'header length 100 is shorter than 104');
  await rejectsWith(patched({ clusterBits: 9 }, (b) => b.writeUInt32BE(520, 100)), 'header length 520 exceeds the cluster size 512');
});

test('snapshot table problems are FormatErrors with a clear message', async () => {
  const one = { snapshots: [{ id: '1', name: 'a', extra: extraData(0n, 0n) }] };
  await rejectsWith(patched({}, (b) => b.writeUInt32BE(65537, 60)), 'too many snapshots (65537; at most 65536)');
  await rejectsWith(patched(one, (b) => b.writeBigUInt64BE(65544n, 64)), 'snapshot table offset 65544 is not cluster-aligned');
  await rejectsWith(patched(one, (b) => b.writeBigUInt64BE(0n, 64)), 'snapshot table offset 0 overlaps the header cluster');
  await rejectsWith(patched(one, (b) => b.writeUInt32BE(10000, 60)), 'snapshot table (10000 entries at offset 65536) runs past the end of the file (131072 bytes)');
  const two = { snapshots: [...one.snapshots, { id: '2', name: 'b', extra: extraData(0n, 0n) }] };
  await rejectsWith(patched(two, (b) => b.writeUInt16BE(65535, 65536 + 72 + 14)), 'snapshot 2 of 2 runs past the end of the file (131072 bytes)');
  await rejectsWith(patched(one, (b) => b.writeUInt32BE(1025, 65536 + 36)), 'snapshot 1 of 1 has too much extra data (1025 bytes; at most 1024)');
  await rejectsWith(buildQcow2({ snapshots: [{ id: '1', name: 'a', extra: extraData(1n << 60n, 0n) }] }), 'snapshot 1 VM state size is out of range (1152921504606846976)');
});

test('backing file and extension problems are FormatErrors with a clear message', async () => {
  await rejectsWith(patched({ backingFile: 'b' }, (b) => b.writeUInt32BE(1024, 16)), 'backing file name is too long (1024 bytes; at most 1023)');
  await rejectsWith(patched({ backingFile: 'b' }, (b) => b.writeBigUInt64BE(70000n, 8)), 'backing file name offset 70000 is outside the first cluster');
  await rejectsWith(patched({ backingFile: 'b' }, (b) => (b.writeBigUInt64BE(65530n, 8), b.writeUInt32BE(10, 16))), 'backing file name runs past the first cluster');
  await rejectsWith(buildQcow2({ backingFile: 'x'.repeat(100) }).subarray(0, 200), 'backing file name runs past the end of the file (200 bytes)');
  await rejectsWith(buildQcow2({ extensions: [{ type: 0x12345678, data: Buffer.alloc(0) }] }).subarray(0, 104), 'header extension at offset 104 runs past the end of the file (104 bytes)');
  await rejectsWith(patched({ extensions: [{ type: 0x12345678, data: Buffer.alloc(0) }] }, (b) => b.writeUInt32BE(70000, 108)), 'header extension 0x12345678 at offset 104 is too large (70000 bytes)');
  await rejectsWith(buildQcow2({ backingFile: 'b', backingFormat: 'abcdefghijklmnop' }), 'backing format name is too long (16 bytes; at most 15)');
});

/** A 1 GiB image whose snapshot table holds entries with 65,535-byte names, made up on read. */
class HugeTableAccess implements FileAccess {
  readonly name = NAME;
  reads = 0;
  static readonly ENTRY = 65576; // 40 + 65535, padded to 8
  constructor(private readonly head: Buffer) {}
  async size() {
    return 2 ** 30;
  }
  async read(offset: number, length: number) {
    this.reads++;
    const out = Buffer.alloc(length);
    this.head.copy(out, 0, offset, Math.min(this.head.length, offset + length));
    const tableStart = 65536;
    const first = Math.max(0, Math.ceil((offset - tableStart) / HugeTableAccess.ENTRY));
    for (let e = first; tableStart + e * HugeTableAccess.ENTRY + 16 <= offset + length; e++) {
      out.writeUInt16BE(65535, tableStart + e * HugeTableAccess.ENTRY + 14 - offset);
    }
    return out;
  }
}

test('a snapshot table over 64 MiB is refused after a bounded number of reads', async () => {
  const head = patched({}, (b) => (b.writeUInt32BE(1100, 60), b.writeBigUInt64BE(65536n, 64))).subarray(0, 65536);
  const f = new HugeTableAccess(head);
  await rejectsWith(f, 'snapshot table is larger than 67108864 bytes');
  assert.ok(f.reads <= 12, `${f.reads} reads`);
});
