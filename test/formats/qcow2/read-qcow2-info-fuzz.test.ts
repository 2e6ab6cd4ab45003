import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { BufferFileAccess } from '../../../src/formats/file-access.js';
import { readQcow2Info } from '../../../src/formats/qcow2/read-qcow2-info.js';
import { qemuImg } from './qcow2-fixtures.js';
import { mulberry32 } from '../../util/mulberry32.js';

interface Seed {
  label: string;
  bytes: Buffer;
  /** [start, end) byte ranges worth mutating: header, extensions + backing name, snapshot table. */
  regions: [number, number][];
}

/** Where the metadata lives in a valid image (walked independently of the reader under test). */
function regionsOf(b: Buffer): [number, number][] {
  const version = b.readUInt32BE(4);
  const headerLength = version === 3 ? b.readUInt32BE(100) : 72;
  const backingEnd = Number(b.readBigUInt64BE(8)) + b.readUInt32BE(16);
  const nb = b.readUInt32BE(60);
  const start = Number(b.readBigUInt64BE(64));
  let pos = start;
  for (let i = 0; i < nb; i++) {
    const len = 40 + b.readUInt32BE(pos + 36) + b.readUInt16BE(pos + 12) + b.readUInt16BE(pos + 14);
    pos += Math.ceil(len / 8) * 8;
  }
  return [
    [0, headerLength],
    [headerLength, Math.max(backingEnd, headerLength + 64)],
    ...(nb ? ([[start, pos]] as [number, number][]) : []),
  ];
}

async function makeSeeds(dir: string): Promise<Seed[]> {
  const specs: { label: string; create: string[]; names: string[] }[] = [
    { label: 'v3-64k-backed', create: ['-o', 'compat=1.1', '-b', 'base.qcow2', '-F', 'qcow2'], names: ['a', 'héllo wörld', '🚀 launch', 'dup', 'dup'] },
    { label: 'v2-512-raw', create: ['-o', 'compat=0.10,cluster_size=512', '-b', 'base.raw', '-F', 'raw'], names: Array.from({ length: 20 }, (_, i) => `nightly ${i}`) },
    { label: 'v3-4k-long', create: ['-o', 'cluster_size=4096'], names: Array.from({ length: 12 }, (_, i) => `${'x'.repeat(250)}${i}`) },
  ];
  await qemuImg(['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), '4M']);
  await qemuImg(['create', '-q', '-f', 'raw', join(dir, 'base.raw'), '4M']);
  const seeds: Seed[] = [];
  for (const s of specs) {
    const p = join(dir, `${s.label}.qcow2`);
    await qemuImg(['create', '-q', '-f', 'qcow2', ...s.create, p, '4M']);
    for (const n of s.names) await qemuImg(['snapshot', '-c', n, p]);
    const bytes = await readFile(p);
    seeds.push({ label: s.label, bytes, regions: regionsOf(bytes) });
  }
  return seeds;
}

const INTERESTING = [0, 1, 7, 8, 9, 21, 22, 72, 104, 0x7f, 0x80, 0xff, 0x1ff, 0x200, 0xfff, 0x1000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(seed: Seed, rnd: () => number): { bytes: Buffer; how: string } {
  const b = Buffer.from(seed.bytes);
  const int = (n: number) => Math.floor(rnd() * n);
  const [lo, hi] = seed.regions[int(seed.regions.length)]!;
  const kind = rnd();
  const steps: string[] = [];
  if (kind < 0.75) {
    const edits = 1 + int(4);
    for (let e = 0; e < edits; e++) {
      if (rnd() < 0.5) {
        const at = lo + int(hi - lo);
        const bit = int(8);
        b[at] = b[at]! ^ (1 << bit);
        steps.push(`flip ${at}.${bit}`);
      } else {
        const width = [1, 2, 4, 8][int(4)]!;
        const at = Math.min(b.length - width, lo + int(Math.max(1, hi - lo)) & ~(width - 1));
        const v = rnd() < 0.7 ? INTERESTING[int(INTERESTING.length)]! : int(2 ** 32);
        if (width === 8) b.writeBigUInt64BE(rnd() < 0.2 ? 0xffffffffffffffffn : BigInt(v) * (rnd() < 0.3 ? 65536n : 1n), at);
        else b.writeUIntBE(v % 2 ** (8 * width), at, width);
        steps.push(`set${width * 8} ${at}=${v}`);
      }
    }
  }
  if (kind >= 0.55) {
    const cut = rnd() < 0.4 ? int(hi + 1) : lo + int(hi - lo + 1);
    steps.push(`truncate ${cut}`);
    return { bytes: b.subarray(0, cut), how: steps.join(', ') };
  }
  return { bytes: b, how: steps.join(', ') };
}

/** Counts the reader's reads and the bytes it asks for (before the clamp at the end of the file). */
class CountingAccess extends BufferFileAccess {
  reads = 0;
  bytesAsked = 0;
  override async read(offset: number, length: number): Promise<Buffer> {
    this.reads++;
    this.bytesAsked += length;
    return super.read(offset, length);
  }
}
// read-qcow2-info's promise: a handful of reads whatever the image says (each re-read at least
// doubles, up to the first cluster or the file's end), and nothing asked for beyond what the file
// holds (plus the first 4 KiB read of a smaller file): each area is read a few times at most.
const MAX_READS = 32;
const maxBytesAsked = (fileSize: number) => 4 * fileSize + 4096;

test('fuzz: 1,800 byte flips, field overwrites and truncations of real images give a result or a FormatError, in a few reads of bounded size', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qcow2-fuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seeds = await makeSeeds(dir);
  for (const s of seeds) await readQcow2Info(new BufferFileAccess(s.label, s.bytes)); // the originals read cleanly

  const CASES = 1800;
  const outcomes = { ok: 0, formatError: 0 };
  const messages = new Set<string>();
  const most = { reads: 0, bytes: 0 };
  for (let i = 0; i < CASES; i++) {
    const caseSeed = 0x5eed0000 + i;
    const rnd = mulberry32(caseSeed);
    const seed = seeds[i % seeds.length]!;
    const { bytes, how } = mutate(seed, rnd);
    const name = `${seed.label}#${caseSeed}`;
    const file = new CountingAccess(name, bytes);
    try {
      const info = await readQcow2Info(file);
      outcomes.ok++;
      assert.ok(info.version === 2 || info.version === 3, name);
      assert.ok(info.clusterBits >= 9 && info.clusterBits <= 21, name);
      assert.equal(info.snapshots.length, bytes.readUInt32BE(60), name);
      assert.ok(Number.isSafeInteger(info.virtualSize), name);
      for (const s of info.snapshots) assert.ok(Number.isSafeInteger(s.vmStateSize) && typeof s.name === 'string', name);
      if (info.backingFile === null) assert.equal(info.backingFormat, null, name);
    } catch (err) {
      if (!(err instanceof FormatError)) assert.fail(`case ${name} (${how}) threw ${(err as Error)?.stack ?? String(err)}`);
      assert.ok(err.message.startsWith(`${name}: `), err.message);
      outcomes.formatError++;
      messages.add(err.message.slice(name.length + 2).replace(/0x[0-9a-f]+|\d+/g, 'N'));
    }
    // "Fast" as work, not wall time: a reader that loops on a hostile count or asks for huge
    // tables shows in the number and size of its reads whatever the machine's load.
    most.reads = Math.max(most.reads, file.reads);
    most.bytes = Math.max(most.bytes, file.bytesAsked);
    assert.ok(file.reads <= MAX_READS, `case ${name} (${how}) made ${file.reads} reads`);
    assert.ok(file.bytesAsked <= maxBytesAsked(bytes.length), `case ${name} (${how}) asked for ${file.bytesAsked} bytes`);
  }
  t.diagnostic(`outcomes ${JSON.stringify(outcomes)}; most work in a case: ${most.reads} reads, ${most.bytes} bytes asked; ${messages.size} distinct problems`);
  assert.equal(outcomes.ok + outcomes.formatError, CASES);
  // The mutations really reach the checks, and many still leave a readable image.
  assert.ok(outcomes.formatError >= 400 && outcomes.ok >= 300, JSON.stringify(outcomes));
  assert.ok(messages.size >= 15, [...messages].join('\n'));
});
