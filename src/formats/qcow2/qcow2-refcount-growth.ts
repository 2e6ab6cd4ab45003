import { MAX_REFTABLE_BYTES } from './qcow2-limits.js';

/** Where the refcounts of a run of new clusters at the end of the file go. */
export interface RefcountGrowth {
  /** refcount block indexes that need a new block, ascending; block n lies at cluster `start + fixed + n` */
  newBlocks: number[];
  /** clusters of the new, larger refcount table placed after the new blocks; 0 = the table stays */
  tableClusters: number;
  /** the first cluster index past everything new */
  end: number;
}

export interface RefcountShape {
  clusterSize: number;
  perBlock: number;
  /** entries the current table has */
  capacity: number;
  tableClusters: number;
  hasBlock: (k: number) => Promise<boolean>;
}

/**
 * Lays out `fixed` new clusters from cluster index `start`, then the refcount blocks they need,
 * then (when the table is too small for those blocks) a new refcount table. New blocks and a new
 * table are themselves new clusters needing refcounts, possibly in a block that describes
 * itself, so the layout grows to a fixed point; it only ever grows, so it ends. A new table gets
 * half its old size as headroom (within QEMU's 8 MiB limit) so later batches rarely move it.
 * Returns null when the table would have to exceed that limit.
 */
export async function placeRefcounts(start: number, fixed: number, s: RefcountShape): Promise<RefcountGrowth | null> {
  const entriesPerCluster = s.clusterSize / 8;
  const maxClusters = MAX_REFTABLE_BYTES / s.clusterSize;
  const missing: number[] = [];
  let checkedUpTo = Math.floor(start / s.perBlock) - 1;
  let tableClusters = 0;
  for (;;) {
    const end = start + fixed + missing.length + tableClusters;
    const lastBlock = Math.floor((end - 1) / s.perBlock);
    for (let k = checkedUpTo + 1; k <= lastBlock; k++) if (!(await s.hasBlock(k))) missing.push(k);
    checkedUpTo = Math.max(checkedUpTo, lastBlock);
    const grown = end !== start + fixed + missing.length + tableClusters;
    let wantTable = tableClusters;
    if (lastBlock + 1 > s.capacity) {
      const needed = Math.ceil((lastBlock + 1) / entriesPerCluster);
      const headroom = Math.min(maxClusters, s.tableClusters + Math.ceil(s.tableClusters / 2));
      if (needed > maxClusters) return null;
      wantTable = Math.max(tableClusters, needed, headroom);
    }
    if (!grown && wantTable === tableClusters) return { newBlocks: missing, tableClusters, end };
    tableClusters = wantTable;
  }
}
