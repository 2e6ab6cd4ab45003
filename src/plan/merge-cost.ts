import type { ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { MergeCost } from './plan-types.js';

/**
 * Estimates what deleting an external snapshot costs. For each disk, the frozen image F sits in
 * the observed chain (leaf first) with a child C above it: streaming F into C copies F's
 * allocated bytes, committing C into F copies C's; the method cheaper in total is chosen.
 * Depth after = the disk's chain length − 1. Null when a frozen image is not in the chain
 * (observation reports that drift; the executor re-checks before merging).
 */
export function estimateMerge(snap: ObservedSnapshot, od: ObservedDomain | undefined): MergeCost | null {
  if (!od || snap.type !== 'external') return null;
  let stream = 0;
  let commit = 0;
  let depth = 0;
  let any = false;
  for (const sd of snap.disks) {
    if (!sd.frozenPath) continue;
    const disk = od.disks.find((d) => d.vdev === sd.vdev);
    if (!disk) return null;
    const i = disk.chain.findIndex((m) => m.path === sd.frozenPath);
    if (i <= 0) return null; // absent, or the leaf itself: not a frozen image
    stream += disk.chain[i]!.allocatedBytes;
    commit += disk.chain[i - 1]!.allocatedBytes;
    depth = Math.max(depth, disk.chain.length - 1);
    any = true;
  }
  if (!any) return null;
  return commit < stream
    ? { method: 'commit', bytesToCopy: commit, chainDepthAfter: depth }
    : { method: 'stream', bytesToCopy: stream, chainDepthAfter: depth };
}
