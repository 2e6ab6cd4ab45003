// Reading 500 qcow2 images with 20 internal snapshots each: xensnap's native reader against one
// `qemu-img info --output=json` per image, in the same run, on copies of one real image.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFile } from '../src/formats/file-access.js';
import { readQcow2Info } from '../src/formats/qcow2/read-qcow2-info.js';
import { readQcow2File } from '../src/formats/qcow2/read-qcow2-file.js';
import { run } from '../src/util/exec.js';
import { median } from './stats.js';

const IMAGES = 500;
const SNAPSHOTS = 20;
const RUNS = 5;

async function eachLimited(items: string[], limit: number, fn: (p: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function seconds(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function medianOf(runs: number, fn: () => Promise<void>): Promise<number> {
  const xs: number[] = [];
  for (let r = 0; r < runs; r++) xs.push(await seconds(fn));
  return median(xs);
}

async function makeImages(dir: string): Promise<string[]> {
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), '20G']);
  const master = join(dir, 'master.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', master, '20G']);
  for (let i = 1; i <= SNAPSHOTS; i++) {
    await run('qemu-img', ['snapshot', '-c', `web-hourly-20240101T${String(i).padStart(2, '0')}0000Z`, master]);
  }
  const images = Array.from({ length: IMAGES }, (_, i) => join(dir, `img-${i}.qcow2`));
  for (const p of images) await copyFile(master, p);
  return images;
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-qcow2-'));
  try {
    const images = await makeImages(dir);
    let snapshots = 0;
    const nativeSequential = async () => {
      snapshots = 0;
      for (const p of images) snapshots += (await withFile(p, readQcow2Info)).snapshots.length;
    };
    await nativeSequential(); // warms the page cache (for both sides) and the JIT
    if (snapshots !== IMAGES * SNAPSHOTS) throw new Error(`read ${snapshots} snapshots, expected ${IMAGES * SNAPSHOTS}`);
    const nativeSeq = await medianOf(RUNS, nativeSequential);
    const native8 = await medianOf(RUNS, () => eachLimited(images, 8, (p) => withFile(p, readQcow2Info)));
    const nativeSync = await medianOf(RUNS, async () => {
      snapshots = 0;
      for (const p of images) snapshots += (await readQcow2File(p)).snapshots.length;
    });
    if (snapshots !== IMAGES * SNAPSHOTS) throw new Error(`readQcow2File read ${snapshots} snapshots`);

    const qemuInfo = (p: string) => run('qemu-img', ['info', '--output=json', p]);
    const qemuSeq = await seconds(async () => {
      for (const p of images) await qemuInfo(p);
    });
    const qemu2 = await seconds(() => eachLimited(images, 2, qemuInfo));

    const ms = (s: number) => `${(s * 1000).toFixed(1).padStart(8)} ms`;
    const line = (label: string, value: string, note = '') => console.log(`${label.padEnd(48)}${value}${note ? `  (${note})` : ''}`);
    const perImage = (s: number) => `${((s / IMAGES) * 1e6).toFixed(0)} µs/image`;
    console.log(`${IMAGES} images × ${SNAPSHOTS} internal snapshots (qcow2 v3, 64 KiB clusters, qcow2 backing file), warm cache`);
    line('native readQcow2Info + NodeFileAccess, 1 by 1', ms(nativeSeq), `median of ${RUNS}; ${perImage(nativeSeq)}`);
    line('native readQcow2Info + NodeFileAccess, 8 at once', ms(native8), `median of ${RUNS}`);
    line('native readQcow2File (sync reads), 1 by 1', ms(nativeSync), `median of ${RUNS}; ${perImage(nativeSync)}`);
    line('qemu-img info --output=json, 1 by 1', ms(qemuSeq), perImage(qemuSeq));
    line('qemu-img info --output=json, 2 at once', ms(qemu2), perImage(qemu2));
    line('ratio qemu-img 1 by 1 / readQcow2Info 1 by 1', `${(qemuSeq / nativeSeq).toFixed(1).padStart(8)} ×`, 'target ≥ 30×');
    line('ratio qemu-img 2 at once / readQcow2Info 1 by 1', `${(qemu2 / nativeSeq).toFixed(1).padStart(8)} ×`);
    line('ratio qemu-img 1 by 1 / readQcow2File 1 by 1', `${(qemuSeq / nativeSync).toFixed(1).padStart(8)} ×`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
