import { constants, inflateRawSync } from 'node:zlib';
import type { FileAccess } from '../file-access.js';
import { ClusterStore } from './qcow2-cluster-store.js';
import { decodeL2Entry, l2TableOffset, type L2Entry } from './qcow2-entries.js';
import type { Qcow2Metadata } from './qcow2-metadata.js';

/** One F cluster's share of a child cluster: F's entry, and which bytes of it. */
export interface ParentPiece {
  entry: Exclude<L2Entry, { kind: 'hole' }>;
  /** byte offset inside F's cluster, and length */
  skip: number;
  length: number;
}

/**
 * What F's active layer holds for one guest cluster of the child (the child's cluster size).
 * `hole`: F has nothing there, the child reads F's backing file through F. `zero`: F reads
 * zeros (zero clusters). `data`: F's pieces, in guest order, cover the whole child cluster.
 */
export type ParentCluster = { kind: 'hole' } | { kind: 'zero' } | { kind: 'data'; pieces: ParentPiece[] };

const HOLE: ParentCluster = { kind: 'hole' };
const ZERO: ParentCluster = { kind: 'zero' };

/**
 * F's active layer, read-only, mapped onto the child's guest clusters. Child clusters smaller
 * than F's take a slice of one F cluster; larger ones take several F clusters, which must then
 * all be allocated or all holes (a child cluster cannot mix F's data with a fall-through to F's
 * backing file): the mixture is refused with a FormatError naming the guest offset.
 */
export class ParentReader {
  private readonly l2s: ClusterStore;
  private l1: Buffer = Buffer.alloc(0);
  private inflated: { offset: number; data: Buffer } | null = null;

  constructor(
    readonly meta: Qcow2Metadata,
    readonly childClusterSize: number,
  ) {
    this.l2s = new ClusterStore(meta.file, meta.header.clusterSize);
  }

  get file(): FileAccess {
    return this.meta.file;
  }

  async load(): Promise<void> {
    const h = this.meta.header;
    this.l1 = await this.meta.file.read(h.l1TableOffset, h.l1Size * 8);
  }

  private async entry(fCluster: number): Promise<L2Entry> {
    const h = this.meta.header;
    const perL2 = h.clusterSize / 8;
    const i = Math.floor(fCluster / perL2);
    if (i >= h.l1Size || fCluster * h.clusterSize >= h.virtualSize) return { kind: 'hole' };
    const l2 = l2TableOffset(this.l1.readBigUInt64BE(i * 8));
    if (l2 === 0) return { kind: 'hole' };
    if (l2 % h.clusterSize !== 0 || l2 >= this.meta.fileSize) throw this.meta.fail(`L1 entry ${i} points outside the file (${l2})`);
    const e = decodeL2Entry((await this.l2s.cluster(l2)).readBigUInt64BE((fCluster % perL2) * 8), h.clusterBits);
    if (e.kind === 'normal' && e.offset % h.clusterSize !== 0) throw this.meta.fail(`data cluster of guest cluster ${fCluster} at ${e.offset} is not cluster-aligned`);
    return e;
  }

  async classify(childCluster: number): Promise<ParentCluster> {
    const fcs = this.meta.header.clusterSize;
    const ccs = this.childClusterSize;
    if (ccs <= fcs) {
      const start = childCluster * ccs;
      const e = await this.entry(Math.floor(start / fcs));
      if (e.kind === 'hole') return HOLE;
      if (e.kind === 'zero') return ZERO;
      return { kind: 'data', pieces: [{ entry: e, skip: start % fcs, length: ccs }] };
    }
    const per = ccs / fcs;
    const pieces: ParentPiece[] = [];
    let holes = 0;
    for (let k = 0; k < per; k++) {
      const e = await this.entry(childCluster * per + k);
      if (e.kind === 'hole') holes++;
      else pieces.push({ entry: e, skip: 0, length: fcs });
    }
    if (holes === per) return HOLE;
    if (holes > 0) {
      throw this.meta.fail(
        `guest bytes ${childCluster * ccs}..${(childCluster + 1) * ccs - 1} are partly allocated in this image and partly fall through to its backing file; ` +
          `a child cluster of ${ccs} bytes cannot hold both (this image's clusters are ${fcs} bytes)`,
      );
    }
    return pieces.every((p) => p.entry.kind === 'zero') ? ZERO : { kind: 'data', pieces };
  }

  /**
   * The child clusters' bytes back to back (F's data, inflated where compressed, zeros for zero
   * pieces). Pieces that lie back to back in F are read with one read.
   */
  async readMany(cs: ParentCluster[]): Promise<Buffer> {
    const total = cs.length * this.childClusterSize;
    // Where each piece comes from: runs of F's bytes (back to back pieces merged) and compressed pieces.
    const parts: Array<{ at: number; from: number; length: number; compressed?: ParentPiece }> = [];
    let at = 0;
    for (const c of cs) {
      for (const p of c.kind === 'data' ? c.pieces : []) {
        const last = parts[parts.length - 1];
        if (p.entry.kind === 'normal') {
          const from = p.entry.offset + p.skip;
          if (last && !last.compressed && last.from + last.length === from && last.at + last.length === at) last.length += p.length;
          else parts.push({ at, from, length: p.length });
        } else if (p.entry.kind === 'compressed') parts.push({ at, from: 0, length: p.length, compressed: p });
        at += p.length;
      }
      if (c.kind !== 'data') at += this.childClusterSize;
    }
    // A short read past the end of F reads zeros, as QEMU's file driver does.
    const only = parts.length === 1 ? parts[0]! : null;
    if (only && !only.compressed && only.at === 0 && only.length === total) {
      const got = await this.meta.file.read(only.from, total);
      return got.length === total ? got : Buffer.concat([got, Buffer.alloc(total - got.length)]);
    }
    const out = Buffer.alloc(total);
    for (const part of parts) {
      const p = part.compressed;
      if (p && p.entry.kind === 'compressed') (await this.inflate(p.entry)).copy(out, part.at, p.skip, p.skip + p.length);
      else (await this.meta.file.read(part.from, part.length)).copy(out, part.at);
    }
    return out;
  }

  private async inflate(e: { offset: number; length: number }): Promise<Buffer> {
    if (this.inflated?.offset === e.offset) return this.inflated.data;
    const fcs = this.meta.header.clusterSize;
    const compressed = await this.meta.file.read(e.offset, e.length);
    let data: Buffer;
    try {
      // QEMU stops once a whole cluster came out; bytes after the deflate stream belong to the next cluster.
      data = inflateRawSync(compressed, { maxOutputLength: fcs, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw this.meta.fail(`compressed cluster at ${e.offset} does not inflate: ${(err as Error).message}`);
    }
    if (data.length !== fcs) throw this.meta.fail(`compressed cluster at ${e.offset} inflates to ${data.length} bytes, not ${fcs}`);
    this.inflated = { offset: e.offset, data };
    return data;
  }
}
