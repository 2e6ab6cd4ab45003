// Test helpers: independent readers (libvhdi's vhdiinfo/vhdimount), a seeded PRNG, temp dirs.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/util/exec.js';
import { mulberry32 } from '../../util/mulberry32.js';

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `xensnap-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** mulberry32: small, seeded, reproducible. */
export function prng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(xs: T[]) => T } {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]! };
}

export interface VhdiInfo {
  diskType: string;
  mediaSize: number;
  identifier: string;
  parentIdentifier?: string;
  parentFilename?: string;
}

/** libvhdi's view of an image's metadata. */
export async function vhdiinfo(path: string): Promise<VhdiInfo> {
  const { stdout } = await run('vhdiinfo', [path]);
  const field = (name: string): string | undefined => new RegExp(`^\\s*${name}\\s*:\\s*(.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const size = /\((\d+) bytes\)/.exec(field('Media size') ?? '')?.[1];
  return {
    diskType: field('Disk type') ?? '',
    mediaSize: Number(size),
    identifier: field('Identifier') ?? '',
    parentIdentifier: field('Parent identifier'),
    parentFilename: field('Parent filename'),
  };
}

/**
 * The composed content of each image through libvhdi: mounts each with vhdimount in a temp dir,
 * reads the highest-numbered vhdiN (the image over its parents), always unmounts.
 */
export async function composedContents(images: string[]): Promise<Buffer[]> {
  const { dir, cleanup } = await tempDir('mnt');
  const out: Buffer[] = [];
  try {
    for (const image of images) {
      await run('vhdimount', [image, dir]);
      try {
        const names = (await readdir(dir)).filter((n) => /^vhdi\d+$/.test(n));
        const top = names.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).pop()!;
        out.push(await readFile(join(dir, top)));
      } finally {
        await run('umount', [dir]);
      }
    }
  } finally {
    await cleanup();
  }
  return out;
}

/** Every chain member's composed content through one vhdimount of `leaf`: root first, leaf last. */
export async function chainContents(leaf: string): Promise<Buffer[]> {
  const { dir, cleanup } = await tempDir('mnt');
  try {
    await run('vhdimount', ['-X', 'max_read=1048576', leaf, dir]);
    try {
      const names = (await readdir(dir)).filter((n) => /^vhdi\d+$/.test(n)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
      const out: Buffer[] = [];
      for (const n of names) out.push(await readFile(join(dir, n)));
      return out;
    } finally {
      await run('umount', [dir]);
    }
  } finally {
    await cleanup();
  }
}
