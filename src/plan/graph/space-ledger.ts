import type { ObservedFilesystem } from '../../model/observed.js';

/** Room a delete leaves unused on its filesystem (estimates bound the data, not every metadata write): 16 MiB, or 1% of a small filesystem. */
export function deleteMarginBytes(totalBytes: number): number {
  return Math.min(16 * 1024 * 1024, Math.ceil(totalBytes / 100));
}

/** Why a delete does not fit: the filesystem, what it needs and what is free for it. */
export interface SpaceShortfall {
  fs: ObservedFilesystem;
  neededBytes: number;
  freeBytes: number;
}

/**
 * Free space for deletes, per filesystem, as the executor will use it: each domain's deletes run
 * one after another (so a domain needs at most its largest merge at once), while domains run
 * side by side (so every other domain's largest merge is counted as taken). The creates planned
 * on a filesystem are taken first. Frees are never credited: a merge holds its space until it
 * ends, and what it frees is an estimate.
 */
export class SpaceLedger {
  private readonly fs: Map<string, ObservedFilesystem>;
  /** fs id → domain key → the largest temporary space one of its deletes takes there. */
  private readonly peaks = new Map<string, Map<string, number>>();

  constructor(
    filesystems: readonly ObservedFilesystem[],
    private readonly createBytes: ReadonlyMap<string, number>,
  ) {
    this.fs = new Map(filesystems.map((f) => [f.id, f]));
  }

  /** The first filesystem where `need` does not fit for `domainKey`, or null (unmeasured filesystems always fit). */
  shortfall(domainKey: string, need: ReadonlyMap<string, number>): SpaceShortfall | null {
    for (const [id, n] of need) {
      const fs = this.fs.get(id);
      if (!fs || n === 0) continue;
      let others = 0;
      for (const [key, peak] of this.peaks.get(id) ?? []) if (key !== domainKey) others += peak;
      const free = Math.max(0, fs.freeBytes - (this.createBytes.get(id) ?? 0) - others);
      if (n + deleteMarginBytes(fs.totalBytes) > free) return { fs, neededBytes: n, freeBytes: free };
    }
    return null;
  }

  reserve(domainKey: string, need: ReadonlyMap<string, number>): void {
    for (const [id, n] of need) {
      let m = this.peaks.get(id);
      if (!m) this.peaks.set(id, (m = new Map()));
      m.set(domainKey, Math.max(m.get(domainKey) ?? 0, n));
    }
  }
}
