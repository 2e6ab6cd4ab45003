// Seeded random graphs: P? ← F ← 1..3 children with random cluster sizes, versions, refcount
// widths, writes (data, zero, compressed), tags taken and deleted, resizes; every graph goes
// through the full oracle. A failure names its seed; rerun one with SEEDS=<n>.
import { test } from 'node:test';
import { join } from 'node:path';
import { tempDir, prng } from '../vhd/vhd-tools.js';
import { create, img, io, KiB, mergeAndVerify, MiB, snapshot } from './merge-fixture.js';

const SEEDS = process.env.SEEDS ? process.env.SEEDS.split(',').map(Number) : Array.from({ length: 12 }, (_, k) => 1000 + k);
// F is written in whole 64 KiB units, so no child cluster (≤ 64 KiB) mixes F's data with a fall-through.
const UNIT = 64 * KiB;

/**
 * One qemu-io write. QEMU writes compressed clusters only where nothing was written before
 * (`touched`, in `unit`s), so a compressed write elsewhere becomes a plain one.
 */
function writeOp(r: ReturnType<typeof prng>, kind: string, off: number, len: number, unit: number, touched: Set<number>): string {
  const units = Array.from({ length: Math.ceil(len / unit) }, (_, k) => off / unit + k);
  const fresh = units.every((u) => !touched.has(u));
  for (const u of units) touched.add(u);
  if (kind === 'zero') return `write -z ${off} ${len}`;
  return `write ${kind === 'compressed' && fresh ? '-c ' : ''}-P ${1 + r.int(250)} ${off} ${len}`;
}

async function randomGraph(seed: number, dir: string): Promise<{ parent: string; grand: string | null; children: string[]; batchBytes?: number }> {
  const r = prng(seed);
  const fSize = (2 + r.int(4)) * MiB;
  const grand = r.next() < 0.7 ? join(dir, 'P.qcow2') : null;
  if (grand) {
    await create(grand, String(fSize));
    await io(grand, `write -P ${1 + r.int(250)} 0 ${fSize}`);
  }
  const parent = join(dir, 'F.qcow2');
  const fCompat = r.pick(['0.10', '1.1']);
  await create(parent, String(fSize), { backing: grand ?? undefined, o: `compat=${fCompat},cluster_size=${r.pick([512, 4096, 65536])}` });
  const fOps: string[] = [];
  const fTouched = new Set<number>();
  for (let k = 2 + r.int(5); k > 0; k--) {
    const off = r.int(fSize / UNIT) * UNIT;
    const len = Math.min((1 + r.int(6)) * UNIT, fSize - off);
    fOps.push(writeOp(r, r.pick(['data', 'data', 'zero', 'compressed']), off, len, UNIT, fTouched));
  }
  await io(parent, ...fOps);

  const children: string[] = [];
  for (let c = 1 + r.int(3); c > 0; c--) {
    const path = join(dir, `C${children.length}.qcow2`);
    const cs = r.pick([512, 4096, 65536]);
    const compat = r.pick(['0.10', '1.1', '1.1']);
    const bits = compat === '0.10' ? 16 : r.pick([16, 16, 1, 2, 4, 8, 32, 64]);
    const limit = grand ? fSize : fSize + 2 * MiB;
    let size = Math.min(limit, (1 + r.int(limit / MiB)) * MiB);
    await create(path, String(size), { backing: parent, o: `compat=${compat},cluster_size=${cs},refcount_bits=${bits}` });
    let tags = 0;
    let wrote = false;
    const touched = new Set<number>();
    const live: string[] = [];
    for (let k = 3 + r.int(7); k > 0; k--) {
      const op = r.pick(['write', 'write', 'zero', 'compressed', 'tag', 'tag', 'untag', 'grow']);
      const off = r.int(size / cs) * cs;
      const len = Math.min((1 + r.int(16)) * cs, size - off);
      // QEMU cannot count a shared cluster with 1 bit, nor more than 3 users with 2: tags only where it can.
      if (op === 'tag' && (bits === 1 ? wrote : bits === 2 ? live.length >= 2 : false)) continue;
      if (op === 'write' || op === 'zero' || op === 'compressed') {
        // Compressed clusters share host clusters: narrow refcounts would overflow at the next tag.
        const kind = op === 'write' || (op === 'compressed' && bits < 16) ? 'data' : op;
        await io(path, writeOp(r, kind, off, len, cs, touched));
        wrote = true;
      } else if (op === 'tag') {
        const name = `t${tags++}`;
        await snapshot(path, name);
        live.push(name);
      } else if (op === 'untag' && live.length) {
        await img('snapshot', '-d', live.splice(r.int(live.length), 1)[0]!, path);
      } else if (op === 'grow' && size < limit && compat === '1.1') {
        // (v2 cannot zero the grown area over a larger backing file: QEMU refuses the resize.)
        size = Math.min(limit, size + MiB);
        await img('resize', path, String(size));
        wrote = true;
      }
    }
    children.push(path);
  }
  const batchBytes = r.pick([undefined, 8 * 65536, 64 * KiB, 3 * 4096]);
  return { parent, grand, children, batchBytes };
}

for (const seed of SEEDS) {
  test(`random graph, seed ${seed}`, async (t) => {
    const { dir, cleanup } = await tempDir(`q2merge-random-${seed}`);
    t.after(cleanup);
    const g = await randomGraph(seed, dir);
    await mergeAndVerify({ dir, parent: g.parent, grand: g.grand, children: g.children }, { batchBytes: g.batchBytes });
  });
}
