import { dirname } from 'node:path';
import type { Disk, Domain } from '../model/domain.js';
import type { ChainMember, ObservedDisk } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { BackendError } from '../errors.js';
import { nativeImageReader } from '../observe/native-image-reader.js';
import { readChain } from '../observe/read-chain.js';
import { scanImageDirs } from '../observe/scan-images.js';
import { attributeBranches, claimByName } from '../observe/attribute-branches.js';
import { diskGraph } from '../plan/graph/disk-graph.js';
import { VirtualGraph } from '../plan/graph/virtual-graph.js';

/**
 * One disk's graph read again right before a delete changes it, the way observation reads it
 * (native readers, headers only; the directories of its images scanned for side branches), so
 * the backend checks the planned step against the images as they are now. `extraDirs`: more
 * directories to scan (where planned children live). Other domains are not read here: the plan
 * already refused images they share. `claimed`: images known to be this disk's (the snapshot's
 * frozen image, the planned step's images).
 */
export async function localDiskGraph(domain: Domain, disk: Disk, extraDirs: readonly string[] = [], claimed: readonly string[] = []): Promise<VirtualGraph> {
  const chain = await readChain(disk.path, disk.format, nativeImageReader);
  const problem = chain.problems[0];
  if (problem) throw problem.error ?? new BackendError(`disk ${disk.vdev}: ${problem.message}; nothing was changed`);
  const dirs = [...new Set([...chain.chain.map((m) => dirname(m.path)), ...extraDirs])];
  const inChain = new Set(chain.chain.map((m) => m.path));
  const scan = await scanImageDirs(dirs, nativeImageReader, inChain);
  if (scan.unreadable.length) {
    const u = scan.unreadable[0]!;
    throw new BackendError(`disk ${disk.vdev}: ${u.path} looks like an image but cannot be read (${u.message}); it might read through the images being merged, so nothing was changed`);
  }
  const id = `${domain.key}\u0000${disk.vdev}`;
  const owners = [{ id, domain: domain.name, vdev: disk.vdev, chain: chain.chain.map((m) => m.path) }];
  const loose = scan.images.map((s) => ({ path: s.path, backing: s.facts.backing }));
  // the images the delete names are this disk's even where a merge cut them off from the chain
  const a = attributeBranches(owners, loose, claimByName(owners, loose, new Map(claimed.map((p) => [p, id]))));
  const facts = new Map(scan.images.map((s) => [s.path, s.facts]));
  const branches: ChainMember[] = (a.get(id)?.branches ?? []).map((p) => {
    const f = facts.get(p)!;
    return { path: p, format: f.format, virtualSize: f.virtualSize, allocatedBytes: f.allocatedBytes, backing: f.backing, ...(f.internal.length ? { internal: f.internal } : {}), ...(f.links !== undefined ? { links: f.links } : {}) };
  });
  const od: ObservedDisk = { vdev: disk.vdev, leaf: disk.path, chain: chain.chain, internal: chain.internal, ...(branches.length ? { branches } : {}) };
  const none: ObservedSnapshot[] = [];
  return VirtualGraph.of(diskGraph(od, none), domain.state !== 'shutoff');
}
