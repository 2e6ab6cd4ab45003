import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { ImageFacts, ImageReader } from './image-reader.js';

/** An image found by scanning a directory (qcow2 or VHD: a format that can read through a parent, or be one). */
export interface ScannedImage {
  path: string;
  facts: ImageFacts;
}

/** What a scan of image directories found. */
export interface ImageScan {
  /** qcow2 and VHD images (raw files are never a snapshot's own image), sorted by path. */
  images: ScannedImage[];
  /** Files that look like images but could not be read, sorted by path. */
  unreadable: { path: string; message: string }[];
}

/**
 * Reads every regular, non-hidden file of `dirs` that is not in `skip` (images already read)
 * and keeps the qcow2 and VHD images: those with a backing file may read through an image of a
 * disk, and those without may be the root of a side tree a merge cut off. Hidden files are xensnap's own temporaries (journaled
 * operations clean them up). A directory that cannot be listed is skipped: it holds nothing a
 * disk's chain names (chain members were read from it, so it is listable where it matters).
 * Reads only.
 */
export async function scanImageDirs(dirs: readonly string[], reader: ImageReader, skip: ReadonlySet<string>): Promise<ImageScan> {
  const out: ImageScan = { images: [], unreadable: [] };
  for (const dir of [...new Set(dirs)].sort()) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isFile() || e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (skip.has(path)) continue;
      try {
        const facts = await reader.read(path, null);
        if (facts.backing !== null || facts.format !== 'raw') out.images.push({ path, facts });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // removed while we looked
        if (err instanceof FormatError || code === 'EACCES' || code === 'EPERM' || code === 'EIO') {
          out.unreadable.push({ path, message: (err as Error).message });
        } else throw err;
      }
    }
  }
  out.images.sort((a, b) => (a.path < b.path ? -1 : 1));
  out.unreadable.sort((a, b) => (a.path < b.path ? -1 : 1));
  return out;
}
