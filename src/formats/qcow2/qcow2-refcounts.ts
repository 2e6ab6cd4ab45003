import type { ClusterStore } from './qcow2-cluster-store.js';
import { OFFSET_MASK } from './qcow2-entries.js';
import { getRefcount, refcountsPerBlock } from './qcow2-refcount-codec.js';

/** Header bytes holding refcount_table_offset (u64) and refcount_table_clusters (u32). */
export const REFTABLE_HEADER_AT = 48;

/**
 * The refcount structures of a child as the store shows them now (the header is re-read, so a
 * table that a simulated batch moved is followed). Always: the table is cluster-aligned and
 * inside the file; a block offset it returns is cluster-aligned, non-zero and inside `limit`.
 */
export class RefcountView {
  readonly perBlock: number;
  readonly capacity: number;

  private constructor(
    private readonly store: ClusterStore,
    readonly order: number,
    readonly tableOffset: number,
    readonly tableClusters: number,
    private readonly limit: number,
    private readonly fail: (p: string) => Error,
  ) {
    this.perBlock = refcountsPerBlock(store.clusterSize, order);
    this.capacity = (tableClusters * store.clusterSize) / 8;
  }

  /** `limit`: the file size as the batch sees it (blocks must lie below it). */
  static async load(store: ClusterStore, order: number, limit: number, fail: (p: string) => Error): Promise<RefcountView> {
    const cs = store.clusterSize;
    const head = await store.cluster(0);
    const tableOffset = Number(head.readBigUInt64BE(REFTABLE_HEADER_AT));
    const tableClusters = head.readUInt32BE(REFTABLE_HEADER_AT + 8);
    if (tableClusters === 0) throw fail('the refcount table is empty');
    if (tableOffset === 0 || tableOffset % cs !== 0 || tableOffset + tableClusters * cs > limit) {
      throw fail(`the refcount table (${tableClusters} clusters at ${tableOffset}) is not a cluster-aligned area inside the file`);
    }
    return new RefcountView(store, order, tableOffset, tableClusters, limit, fail);
  }

  /** The offset of refcount block `k`, or 0 when the table has none for it. */
  async blockOffset(k: number): Promise<number> {
    if (k >= this.capacity) return 0;
    const o = Number((await this.store.u64(this.tableOffset + k * 8)) & OFFSET_MASK);
    if (o !== 0 && (o % this.store.clusterSize !== 0 || o + this.store.clusterSize > this.limit)) {
      throw this.fail(`refcount block ${k} at ${o} is not a cluster inside the file`);
    }
    return o;
  }

  /** The stored refcount of host cluster `index` (0 where no block describes it). */
  async refcount(index: number): Promise<number> {
    const b = await this.blockOffset(Math.floor(index / this.perBlock));
    if (b === 0) return 0;
    return getRefcount(await this.store.cluster(b), index % this.perBlock, this.order);
  }
}
