// Real qcow2 images made by qemu-img, for the agreement test, the fuzzer and the benchmark.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/util/exec.js';

export async function qemuImg(args: string[]): Promise<string> {
  return (await run('qemu-img', args, { timeoutMs: 60_000 })).stdout;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** One family of images: the same base, with 0..maxSnapshots snapshots added one at a time. */
export interface Variant {
  label: string;
  compat: '0.10' | '1.1';
  clusterSize: number;
  backing: 'none' | 'raw' | 'qcow2' | 'qcow2-absolute' | 'raw-unformatted';
  extraOptions?: string[];
  maxSnapshots: number;
  /** Name of the k-th snapshot (1-based). */
  name: (k: number) => string;
  /** Snapshot names deleted right after snapshot k is taken. */
  deleteAfter?: Record<number, string>;
}

const UNICODE = ['héllo wörld', 'snapshot № 7', '日本語のスナップショット', 'emoji 🚀 launch', 'Ωμέγα', 'tab\there'];

export const VARIANTS: Variant[] = [
  { label: 'v3-64k', compat: '1.1', clusterSize: 65536, backing: 'none', maxSnapshots: 20, name: (k) => `snap-${k}` },
  { label: 'v2-64k-unicode', compat: '0.10', clusterSize: 65536, backing: 'none', maxSnapshots: 20, name: (k) => `${UNICODE[k % UNICODE.length]} ${k}` },
  { label: 'v3-512-raw', compat: '1.1', clusterSize: 512, backing: 'raw', maxSnapshots: 20, name: (k) => `daily backup ${k} with spaces` },
  { label: 'v2-512-qcow2', compat: '0.10', clusterSize: 512, backing: 'qcow2', maxSnapshots: 15, name: (k) => `${'L'.repeat(200 + k * 4)}-${k}` },
  { label: 'v3-2m-dups', compat: '1.1', clusterSize: 2 * 1024 * 1024, backing: 'qcow2', maxSnapshots: 20, name: (k) => `dup-${k % 3}` },
  {
    label: 'v3-4k-deletes',
    compat: '1.1',
    clusterSize: 4096,
    backing: 'none',
    maxSnapshots: 20,
    name: (k) => `s${k}`,
    deleteAfter: { 4: 's2', 9: 's5', 10: 's1', 15: 's14' },
  },
  { label: 'v2-2m-raw', compat: '0.10', clusterSize: 2 * 1024 * 1024, backing: 'raw', maxSnapshots: 20, name: (k) => (k % 2 ? `odd ${k}` : `ÉVEN-${k}`) },
  { label: 'v3-1m-abs', compat: '1.1', clusterSize: 1024 * 1024, backing: 'qcow2-absolute', maxSnapshots: 20, name: (k) => `abs.${k}` },
  { label: 'v3-32k-l2', compat: '1.1', clusterSize: 32768, backing: 'none', extraOptions: ['extended_l2=on'], maxSnapshots: 20, name: (k) => `ext-${k}` },
  { label: 'v3-128k-rc1', compat: '1.1', clusterSize: 131072, backing: 'qcow2', extraOptions: ['refcount_bits=1'], maxSnapshots: 20, name: (k) => `rc ${k}` },
  { label: 'v2-16k-nofmt', compat: '0.10', clusterSize: 16384, backing: 'raw-unformatted', maxSnapshots: 20, name: (k) => `nofmt-${k}` },
  { label: 'v3-8k-zstd', compat: '1.1', clusterSize: 8192, backing: 'raw', extraOptions: ['compression_type=zstd'], maxSnapshots: 20, name: (k) => `z${'é'.repeat(k)}` },
];

/**
 * Replaces the backing-format header extension's type with an unknown one, so the image has a
 * backing file but no backing format (as images from old QEMU versions have), and the reader
 * must skip an unknown extension.
 */
async function hideBackingFormat(path: string): Promise<void> {
  const buf = await readFile(path);
  const at = buf.subarray(0, 4096).indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]));
  if (at < 0) throw new Error(`${path}: no backing format extension to hide`);
  buf.writeUInt32BE(0x7e57ab1e, at);
  await writeFile(path, buf);
}

async function makeBase(dir: string, v: Variant): Promise<string> {
  const img = join(dir, `${v.label}.qcow2`);
  const opts = [`compat=${v.compat}`, `cluster_size=${v.clusterSize}`, ...(v.extraOptions ?? [])].join(',');
  const size = '8M';
  if (v.backing === 'none') {
    await qemuImg(['create', '-q', '-f', 'qcow2', '-o', opts, img, size]);
    return img;
  }
  const raw = v.backing === 'raw' || v.backing === 'raw-unformatted';
  const base = join(dir, `${v.label}-base.${raw ? 'raw' : 'qcow2'}`);
  await qemuImg(['create', '-q', '-f', raw ? 'raw' : 'qcow2', base, size]);
  const backingName = v.backing === 'qcow2-absolute' ? base : `${v.label}-base.${raw ? 'raw' : 'qcow2'}`;
  // A relative backing name is resolved against the overlay's directory, like QEMU does.
  await qemuImg(['create', '-q', '-f', 'qcow2', '-o', opts, '-b', backingName, '-F', raw ? 'raw' : 'qcow2', img, size]);
  if (v.backing === 'raw-unformatted') await hideBackingFormat(img);
  return img;
}

/**
 * Builds every variant: one qemu-img create, then one `snapshot -c` per step, copying the image
 * after each step, so a family of N+1 images costs N snapshot calls. Returns the image paths.
 */
export async function buildVariantImages(dir: string, variants = VARIANTS, concurrency = 2): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const families = await mapLimit(variants, concurrency, async (v) => {
    const work = await makeBase(dir, v);
    const images: string[] = [];
    for (let k = 0; k <= v.maxSnapshots; k++) {
      if (k > 0) {
        await qemuImg(['snapshot', '-c', v.name(k), work]);
        const del = v.deleteAfter?.[k];
        if (del) await qemuImg(['snapshot', '-d', del, work]);
      }
      const copy = join(dir, `${v.label}-n${String(k).padStart(2, '0')}.qcow2`);
      await copyFile(work, copy);
      images.push(copy);
    }
    return images;
  });
  return families.flat();
}
