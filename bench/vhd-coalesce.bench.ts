// Coalescing a VHD child with 256 MiB of allocated data into its parent, against `cp` of the same
// child file in the same run; and the latency of a one-disk blktap snapshot (median of 50).
import { mkdtemp, rm, stat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlktapBackend } from '../src/backends/blktap/blktap-backend.js';
import { noJournal } from '../src/backends/backend.js';
import { coalesceVhd } from '../src/formats/vhd/vhd-coalesce.js';
import { createDifferencingVhd, createDynamicVhd } from '../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../src/formats/vhd/vhd-image.js';
import { writeVhdSectors } from '../src/formats/vhd/vhd-sectors.js';
import type { Domain } from '../src/model/domain.js';
import { run } from '../src/util/exec.js';
import { median } from './stats.js';

const MiB = 1024 * 1024;
const DATA = 256 * MiB;

async function makePair(dir: string, round: number): Promise<{ parent: string; child: string }> {
  const parent = join(dir, `parent${round}.vhd`);
  const child = join(dir, `child${round}.vhd`);
  await createDynamicVhd(parent, 512 * MiB);
  await createDifferencingVhd(child, parent);
  const img = await VhdImage.open(child, true);
  const chunk = Buffer.alloc(8 * MiB);
  for (let off = 0; off < DATA; off += chunk.length) {
    chunk.fill((off / chunk.length) & 0xff);
    await writeVhdSectors(img, off, chunk);
  }
  await img.close();
  return { parent, child };
}

async function fsyncFile(p: string): Promise<void> {
  const fh = await open(p, 'r+');
  await fh.sync();
  await fh.close();
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-vhd-'));
  try {
    const mergeRates: number[] = [];
    const cpRates: number[] = [];
    const cpSyncRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      const { child } = await makePair(dir, round);
      const childBytes = (await stat(child)).size;
      let t = performance.now();
      await run('cp', [child, join(dir, `copy${round}.vhd`)]);
      const cpMs = performance.now() - t;
      await fsyncFile(join(dir, `copy${round}.vhd`));
      const cpSyncMs = performance.now() - t;
      t = performance.now();
      const res = await coalesceVhd(child);
      const mergeMs = performance.now() - t;
      if (res.bytes !== DATA) throw new Error(`coalesced ${res.bytes} bytes, expected ${DATA}`);
      cpRates.push(childBytes / MiB / (cpMs / 1000));
      cpSyncRates.push(childBytes / MiB / (cpSyncMs / 1000));
      mergeRates.push(DATA / MiB / (mergeMs / 1000));
      await rm(join(dir, `copy${round}.vhd`));
    }
    const m = median(mergeRates);
    const c = median(cpRates);
    const cs = median(cpSyncRates);
    console.log(`coalesce 256 MiB child into parent: ${m.toFixed(0)} MB/s (median of 3; data and metadata fsynced)`);
    console.log(`cp of the same child file:          ${c.toFixed(0)} MB/s (copy_file_range, no fsync); cp + fsync ${cs.toFixed(0)} MB/s`);
    console.log(`ratio coalesce / cp: ${(m / c).toFixed(2)}; coalesce / (cp + fsync): ${(m / cs).toFixed(2)} (target >= 0.5)`);

    const leaf = join(dir, 'xvda.vhd');
    await createDynamicVhd(leaf, 64 * MiB);
    const domain: Domain = { key: 'name-b', uuid: null, name: 'b', state: 'shutoff', disks: [{ vdev: 'xvda', path: leaf, format: 'vhd', backend: 'tap', readonly: false, cdrom: false }] };
    const backend = new BlktapBackend();
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const recs = await backend.create({ domain, disks: domain.disks, snapshot: `s${i}`, type: 'external' }, noJournal);
      latencies.push(performance.now() - t0);
      // Keep the chain short (as retention would): drop the snapshot again, outside the timing.
      await backend.delete({ domain, snapshot: `s${i}`, type: 'external', disks: recs }, noJournal);
    }
    console.log(`blktap snapshot create (1 disk, shut off): median ${median(latencies).toFixed(1)} ms of 50`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
