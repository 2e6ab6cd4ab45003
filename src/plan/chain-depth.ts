import type { ObservedDisk, ObservedDomain } from '../model/observed.js';

/**
 * A disk's chain depth: the number of images in its chain, leaf included (a disk with no
 * snapshot has depth 1; each external snapshot adds one), as XenServer counts VDI chains.
 * 0 when the chain was not read (phy disks).
 */
export function chainDepth(disk: ObservedDisk): number {
  return disk.chain.length;
}

/** One disk's depth, for metrics and status. */
export interface DiskDepth {
  domainKey: string;
  domain: string;
  vdev: string;
  depth: number;
}

/** Every observed disk's chain depth, in observation order. */
export function chainDepths(domains: readonly ObservedDomain[]): DiskDepth[] {
  const out: DiskDepth[] = [];
  for (const od of domains) for (const d of od.disks) out.push({ domainKey: od.domain.key, domain: od.domain.name, vdev: d.vdev, depth: chainDepth(d) });
  return out;
}

/**
 * The first disk of an external create whose chain would grow past `max`, with its depth now;
 * null when every disk stays within the limit (or its chain was not read).
 */
export function tooDeep(od: ObservedDomain | undefined, vdevs: readonly string[], max: number): { vdev: string; depth: number } | null {
  if (!od) return null;
  for (const vdev of vdevs) {
    const disk = od.disks.find((d) => d.vdev === vdev);
    if (disk && disk.chain.length > 0 && chainDepth(disk) + 1 > max) return { vdev, depth: chainDepth(disk) };
  }
  return null;
}
