import type { FileAccess } from '../file-access.js';

// Clusters of recently read metadata kept in memory; a merge walks tables in order, so a few
// hundred suffice and memory stays bounded whatever the image size.
const CACHE_CLUSTERS = 256;

/**
 * Metadata clusters of one qcow2 file, read whole, with an overlay of clusters that a simulated
 * batch changed (the dry run plans batch n + 1 on top of batch n without writing). Always:
 * `cluster(o)` returns the overlay's copy when there is one, else the file's bytes, zero-padded
 * to a whole cluster past the end of the file. Returned buffers are shared: never modify them.
 */
export class ClusterStore {
  private readonly overlay = new Map<number, Buffer>();
  private readonly cache = new Map<number, Buffer>();

  constructor(
    readonly file: FileAccess,
    readonly clusterSize: number,
  ) {}

  async cluster(offset: number): Promise<Buffer> {
    const mine = this.overlay.get(offset) ?? this.cache.get(offset);
    if (mine) return mine;
    const got = await this.file.read(offset, this.clusterSize);
    const c = got.length === this.clusterSize ? got : Buffer.concat([got, Buffer.alloc(this.clusterSize - got.length)]);
    if (this.cache.size >= CACHE_CLUSTERS) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(offset, c);
    return c;
  }

  /** `length` bytes at `offset`, across clusters. */
  async bytes(offset: number, length: number): Promise<Buffer> {
    const cs = this.clusterSize;
    const parts: Buffer[] = [];
    for (let at = offset; at < offset + length; ) {
      const base = at - (at % cs);
      const c = await this.cluster(base);
      const end = Math.min(base + cs, offset + length);
      parts.push(c.subarray(at - base, end - base));
      at = end;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async u64(offset: number): Promise<bigint> {
    const cs = this.clusterSize;
    const base = offset - (offset % cs);
    return (await this.cluster(base)).readBigUInt64BE(offset - base);
  }

  /** Makes `bytes` (one whole cluster) the content of the cluster at `offset` for later reads. */
  put(offset: number, bytes: Buffer): void {
    this.overlay.set(offset, bytes);
    this.cache.delete(offset);
  }

  /** Forgets everything held: call after the file itself changed. */
  forget(): void {
    this.overlay.clear();
    this.cache.clear();
  }
}
