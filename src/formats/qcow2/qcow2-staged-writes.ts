import type { ClusterStore } from './qcow2-cluster-store.js';

/** One absolute metadata write: replaying it any number of times gives the same bytes. */
export interface MetadataWrite {
  offset: number;
  bytes: Buffer;
}

// Touched ranges closer than this are written as one (the gap's current bytes go with them).
const MERGE_GAP = 32;

/**
 * The metadata changes of one batch, built in stages. Always: `writes` lists, stage by stage in
 * the order the stages ended, the bytes each stage left in the ranges it touched, so applying
 * them in order passes through exactly the states the stages describe; `fresh` holds whole new
 * clusters beyond the end of the file, which nothing references until the writes are applied.
 */
export class StagedWrites {
  readonly writes: MetadataWrite[] = [];
  readonly fresh = new Map<number, Buffer>();
  private readonly working = new Map<number, Buffer>();
  private touched = new Map<number, Array<[number, number]>>();

  constructor(private readonly store: ClusterStore) {}

  /** The batch's working copy of an existing cluster, to modify and then `touch`. */
  async existing(offset: number): Promise<Buffer> {
    let c = this.working.get(offset);
    if (!c) {
      c = Buffer.from(await this.store.cluster(offset));
      this.working.set(offset, c);
    }
    return c;
  }

  /** A new, zeroed cluster at `offset` (beyond the end of the file). */
  newCluster(offset: number): Buffer {
    const c = Buffer.alloc(this.store.clusterSize);
    this.fresh.set(offset, c);
    return c;
  }

  /** The current content of a cluster, as this batch left it so far. */
  async current(offset: number): Promise<Buffer> {
    return this.fresh.get(offset) ?? this.working.get(offset) ?? this.store.cluster(offset);
  }

  touch(clusterOffset: number, at: number, length: number): void {
    let list = this.touched.get(clusterOffset);
    if (!list) this.touched.set(clusterOffset, (list = []));
    list.push([at, at + length]);
  }

  /** Ends a stage: records the bytes of every range it touched, as they are now. */
  endStage(): void {
    for (const clusterOffset of [...this.touched.keys()].sort((a, b) => a - b)) {
      const c = this.working.get(clusterOffset)!;
      const ranges = this.touched.get(clusterOffset)!.sort((a, b) => a[0] - b[0]);
      let [from, to] = ranges[0]!;
      for (const [s, e] of ranges.slice(1)) {
        if (s <= to + MERGE_GAP) to = Math.max(to, e);
        else {
          this.writes.push({ offset: clusterOffset + from, bytes: Buffer.from(c.subarray(from, to)) });
          [from, to] = [s, e];
        }
      }
      this.writes.push({ offset: clusterOffset + from, bytes: Buffer.from(c.subarray(from, to)) });
    }
    this.touched = new Map();
  }

  /** Makes the store read this batch's result (the dry run's next batch plans on top of it). */
  commitTo(store: ClusterStore): void {
    for (const [o, c] of this.working) store.put(o, c);
    for (const [o, c] of this.fresh) store.put(o, c);
  }
}
