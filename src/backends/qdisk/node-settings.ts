import type { Disk } from '../../model/domain.js';
import type { BlockGraph, BlockNode } from './node-graph.js';

/** File locking for file nodes we add: `auto` for standalone QEMU, `off` under Xen (qdisk's choice). */
export type FileLocking = 'auto' | 'off';

/** blockdev-add options every node xensnap adds to a disk's graph carries: the guest's disk settings. */
export interface NodeSettings {
  /** For file nodes: cache, aio, discard, locking. */
  file: Record<string, unknown>;
  /** For format nodes (overlays): discard, detect-zeroes. */
  format: Record<string, unknown>;
}

/**
 * The settings of the disk whose active format node is `top`, for the nodes a snapshot adds (the
 * file-node swap, the overlay): what the guest's disk was opened with must stay what it is.
 * From QEMU (query-named-block-nodes): cache.direct, cache.no-flush, detect-zeroes. From the
 * disk's configuration (Xen: libxl's `direct_io_safe` and `discard_enable`, which xen-block
 * turns into `cache.direct=on,aio=native` and `discard=unmap` on both layers): aio and discard,
 * which QEMU does not report. `locking` is `off` under Xen (xen-block's own choice).
 */
export function guestNodeSettings(graph: BlockGraph, top: BlockNode, locking: FileLocking, disk?: Pick<Disk, 'qdiskOptions'>): NodeSettings {
  const fileNode = (top.file && graph.nodes.get(top.file)) || top;
  const o = disk?.qdiskOptions;
  const file: Record<string, unknown> = { cache: { direct: fileNode.cacheDirect, 'no-flush': fileNode.cacheNoFlush }, locking };
  // aio=native needs O_DIRECT; xen-block sets both or neither
  if (o?.directIo && fileNode.cacheDirect) file.aio = 'native';
  const format: Record<string, unknown> = { 'detect-zeroes': top.detectZeroes };
  if (o?.discard) {
    file.discard = 'unmap';
    format.discard = 'unmap';
  }
  return { file, format };
}

/** The settings for a temporary file node (the first hop of the swap): the same, but never locking. */
export function lockless(s: NodeSettings): Record<string, unknown> {
  return { ...s.file, locking: 'off' };
}
