import { FormatError } from '../../errors.js';
import { NodeFileAccess, withFile } from '../file-access.js';
import { probeImageFormat } from '../probe-image-format.js';
import type { TableRef } from './qcow2-child-tables.js';
import { assembleBatch } from './qcow2-merge-batch.js';
import { openMergeChild, type MergeChild } from './qcow2-merge-child.js';
import { refuseParent } from './qcow2-merge-refusals.js';
import { scanBatch } from './qcow2-merge-scan.js';
import { readQcow2Metadata, type Qcow2Metadata } from './qcow2-metadata.js';

/** Default bound of one batch: this many bytes of new clusters (data, L2 tables) per batch. */
export const DEFAULT_BATCH_BYTES = 64 * 1024 * 1024;

/** Options shared by the plan and the merge; both must batch alike for their numbers to agree. */
export interface MergeBatching {
  /** bytes of new or touched clusters per batch (default 64 MiB; at least one cluster) */
  batchBytes?: number;
}

/**
 * What merging parent F into each child costs, read-only. Always: `bytesToWrite` is the sum over
 * children, and each child's numbers are exactly what mergeParentIntoChild with the same
 * batching reports (the plan runs the merge's own batches against memory).
 */
export interface ParentMergePlan {
  parent: string;
  children: Array<{
    path: string;
    /** L1 tables of this child whose content depends on F's data: 'active' and each internal snapshot. */
    tables: TableRef[];
    /** guest clusters (of the child's cluster size) of F that at least one table of this child does not shadow */
    clustersToCopy: number;
    /** bytes the child file grows by: data clusters + new L2 tables + refcount blocks/table growth */
    bytesToWrite: number;
  }>;
  /** sum over children of bytesToWrite: the temporary space the merge needs before F is removed */
  bytesToWrite: number;
}

/** Opens F read-only and refuses what the merge cannot read (not qcow2, features). */
export async function openParent(path: string): Promise<{ file: NodeFileAccess; meta: Qcow2Metadata }> {
  const file = await NodeFileAccess.open(path);
  try {
    const format = await probeImageFormat(file);
    if (format !== 'qcow2') {
      throw new FormatError(path, `it is a ${format} image, not qcow2; merging a ${format} parent into its children is not supported yet (stream it with qemu-img rebase when nothing else reads through it)`);
    }
    const meta = await readQcow2Metadata(file);
    refuseParent(meta);
    return { file, meta };
  } catch (e) {
    await file.close();
    throw e;
  }
}

export function batchUnits(cx: MergeChild, opts: MergeBatching): number {
  return Math.max(1, Math.floor((opts.batchBytes ?? DEFAULT_BATCH_BYTES) / cx.meta.header.clusterSize));
}

/**
 * Runs every batch of the merge against the child's store only (nothing is written), then
 * forgets the simulated state. Throws every refusal the real merge would meet before it writes.
 */
export async function simulateMerge(cx: MergeChild, opts: MergeBatching): Promise<{ dependent: Set<number>; filled: number; growth: number }> {
  const start = cx.fileSize;
  const dependent = new Set<number>();
  let filled = 0;
  try {
    for (let cursor: number | null = 0; cursor !== null; ) {
      const scan = await scanBatch(cx, cursor, batchUnits(cx, opts));
      if (!scan.fills.length) break;
      const batch = await assembleBatch(cx, scan);
      batch.staged.commitTo(cx.store);
      cx.fileSize = batch.newLength;
      filled += batch.filled;
      for (const k of scan.dependent) dependent.add(k);
      cursor = scan.next;
    }
    return { dependent, filled, growth: cx.fileSize - start };
  } finally {
    cx.store.forget();
    cx.fileSize = start;
  }
}

export async function planParentMerge(parent: string, children: string[], opts: MergeBatching = {}): Promise<ParentMergePlan> {
  const f = await openParent(parent);
  try {
    const out: ParentMergePlan = { parent, children: [], bytesToWrite: 0 };
    for (const path of children) {
      await withFile(path, async (file) => {
        const cx = await openMergeChild(path, file, parent, f.meta);
        const sim = await simulateMerge(cx, opts);
        out.children.push({
          path,
          tables: cx.tables.filter((_, k) => sim.dependent.has(k)).map((t) => t.ref),
          clustersToCopy: sim.filled,
          bytesToWrite: sim.growth,
        });
        out.bytesToWrite += sim.growth;
      });
    }
    return out;
  } finally {
    await f.file.close();
  }
}
