import { readFile, realpath, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CapacityLimits, Observed, ObservedFilesystem } from '../model/observed.js';
import { mountPointFor, parseMountinfo, type MountEntry } from './free-space-mountinfo.js';

/** The filesystem calls free-space measurement makes; tests may wrap them. */
export interface FsProbe {
  /** st_dev of a path (bigint, as the kernel's dev_t can exceed 2^53). */
  dev(path: string): Promise<bigint>;
  statfs(path: string): Promise<{ freeBytes: number; totalBytes: number }>;
  realpath(path: string): Promise<string>;
  mountinfo(): Promise<string>;
}

export const nodeFsProbe: FsProbe = {
  dev: async (p) => (await stat(p, { bigint: true })).dev,
  statfs: async (p) => {
    const s = await statfs(p);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  },
  realpath: (p) => realpath(p),
  mountinfo: () => readFile('/proc/self/mountinfo', 'utf8').catch(() => ''),
};

/** Paths kept per filesystem: examples for an operator, not an index. */
const MAX_PATHS = 8;

/** `major:minor` of a dev_t as glibc's gnu_dev_major/minor split it. */
export function devId(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * Measures the filesystems holding `paths`: each path's device id (null when it cannot be
 * stat'ed: drift, reported elsewhere) and one statfs per filesystem, named by its mount point.
 * A path that does not exist yet (a state dir before the first snapshot) is measured at its
 * nearest existing ancestor, where it would be created.
 */
export async function measureFilesystems(
  paths: readonly string[],
  probe: FsProbe = nodeFsProbe,
): Promise<{ filesystems: ObservedFilesystem[]; fsOf: Map<string, string> }> {
  const mounts: MountEntry[] = parseMountinfo(await probe.mountinfo());
  const fsOf = new Map<string, string>();
  const byId = new Map<string, ObservedFilesystem>();
  for (const path of new Set(paths)) {
    const found = await existingAncestor(path, probe);
    if (!found) continue;
    const id = devId(found.dev);
    fsOf.set(path, id);
    let fs = byId.get(id);
    if (!fs) {
      const sf = await probe.statfs(found.path).catch(() => null);
      if (!sf) continue;
      const real = await probe.realpath(found.path).catch(() => found.path);
      fs = { id, mount: mountPointFor(mounts, id, real) ?? id, freeBytes: sf.freeBytes, totalBytes: sf.totalBytes, paths: [] };
      byId.set(id, fs);
    }
    fs.paths.push(path);
  }
  const filesystems = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const fs of filesystems) fs.paths = fs.paths.sort().slice(0, MAX_PATHS);
  for (const [p, id] of fsOf) if (!byId.has(id)) fsOf.delete(p);
  return { filesystems, fsOf };
}

async function existingAncestor(path: string, probe: FsProbe): Promise<{ path: string; dev: bigint } | null> {
  let p = path;
  for (;;) {
    const dev = await probe.dev(p).catch(() => null);
    if (dev !== null) return { path: p, dev };
    const up = dirname(p);
    if (up === p) return null;
    p = up;
  }
}

/**
 * Adds capacity facts to an observation: the filesystem of every chain and branch image (`fs`), the
 * measured filesystems, the state dir's filesystem and the host's limits. Mutates `observed`.
 */
export async function attachCapacity(observed: Observed, stateDir: string, limits: CapacityLimits, probe: FsProbe = nodeFsProbe): Promise<void> {
  const paths = [stateDir];
  for (const od of observed.domains) for (const d of od.disks) for (const m of [...d.chain, ...(d.branches ?? [])]) paths.push(m.path);
  const { filesystems, fsOf } = await measureFilesystems(paths, probe);
  for (const od of observed.domains) {
    for (const d of od.disks) {
      for (const m of [...d.chain, ...(d.branches ?? [])]) {
        const id = fsOf.get(m.path);
        if (id !== undefined) m.fs = id;
      }
    }
  }
  observed.filesystems = filesystems;
  const sd = fsOf.get(stateDir);
  if (sd !== undefined) observed.stateDir = { path: stateDir, fs: sd };
  observed.limits = { minFreePercent: limits.minFreePercent, minFreeBytes: limits.minFreeBytes, maxChainDepth: limits.maxChainDepth };
}
