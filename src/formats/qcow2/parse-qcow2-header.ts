import { type Fail, u64 } from './be-fields.js';
import {
  COMPRESSION_TYPE_OFFSET,
  INCOMPAT_CORRUPT,
  INCOMPAT_DIRTY,
  INCOMPAT_KNOWN,
  MAX_CLUSTER_BITS,
  MAX_SNAPSHOTS,
  MIN_CLUSTER_BITS,
  QCOW2_MAGIC,
  SNAPSHOT_ENTRY_FIXED,
  V2_HEADER_LENGTH,
  V3_MIN_HEADER_LENGTH,
} from './qcow2-limits.js';

/**
 * The fixed qcow2 header, checked. Always holds: version is 2 or 3; 9 ≤ clusterBits ≤ 21;
 * headerLength ≤ cluster size; nbSnapshots ≤ 65536 and, when non-zero, the table starts
 * cluster-aligned inside the file with room for that many fixed-size entries. The table
 * fields (L1, refcount table, refcount order, features) are as stored, unchecked: readers
 * that follow them (the cluster-level merge) check what they use.
 */
export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  virtualSize: number;
  backingFileOffset: number;
  backingFileSize: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  headerLength: number;
  dirty: boolean;
  corrupt: boolean;
  /** 0 none, 1 AES, 2 LUKS. */
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  /** refcount_bits = 2^refcountOrder; always 4 (16-bit) on v2. */
  refcountOrder: number;
  /** v3 feature bitmaps (0 on v2). */
  incompatibleFeatures: bigint;
  autoclearFeatures: bigint;
  /** 0 zlib, 1 zstd; 0 when the field is absent. */
  compressionType: number;
}

/** Parses the fixed header from the first bytes of the file (`buf` may be shorter than asked). */
export function parseQcow2Header(buf: Buffer, fileSize: number, fail: Fail): Qcow2Header {
  if (buf.length < 8) throw fail(`file is too short for a qcow2 header (${fileSize} bytes)`);
  if (buf.readUInt32BE(0) !== QCOW2_MAGIC) throw fail('not a qcow2 image (bad magic)');
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw fail(`unsupported qcow2 version ${version}`);
  const minLength = version === 2 ? V2_HEADER_LENGTH : V3_MIN_HEADER_LENGTH;
  if (buf.length < minLength) throw fail(`file is too short for a qcow2 v${version} header (${fileSize} bytes)`);

  const clusterBits = buf.readUInt32BE(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw fail(`cluster_bits ${clusterBits} is outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`);
  }
  const clusterSize = 2 ** clusterBits;
  const virtualSize = u64(buf, 24, 'virtual size', fail);
  const backingFileOffset = u64(buf, 8, 'backing file offset', fail);
  const backingFileSize = buf.readUInt32BE(16);

  let headerLength = V2_HEADER_LENGTH;
  let dirty = false;
  let corrupt = false;
  let incompatible = 0n;
  let autoclearFeatures = 0n;
  let refcountOrder = 4;
  let compressionType = 0;
  if (version === 3) {
    incompatible = buf.readBigUInt64BE(72);
    autoclearFeatures = buf.readBigUInt64BE(88);
    refcountOrder = buf.readUInt32BE(96);
    const unknown = incompatible & ~INCOMPAT_KNOWN;
    if (unknown !== 0n) throw fail(`unknown incompatible feature bits 0x${unknown.toString(16)}`);
    dirty = (incompatible & INCOMPAT_DIRTY) !== 0n;
    corrupt = (incompatible & INCOMPAT_CORRUPT) !== 0n;
    headerLength = buf.readUInt32BE(100);
    if (headerLength < V3_MIN_HEADER_LENGTH) throw fail(`header length ${headerLength} is shorter than ${V3_MIN_HEADER_LENGTH}`);
    if (headerLength > clusterSize) throw fail(`header length ${headerLength} exceeds the cluster size ${clusterSize}`);
    if (headerLength > COMPRESSION_TYPE_OFFSET && buf.length > COMPRESSION_TYPE_OFFSET) compressionType = buf[COMPRESSION_TYPE_OFFSET]!;
  }

  const nbSnapshots = buf.readUInt32BE(60);
  const snapshotsOffset = u64(buf, 64, 'snapshot table offset', fail);
  if (nbSnapshots > MAX_SNAPSHOTS) throw fail(`too many snapshots (${nbSnapshots}; at most ${MAX_SNAPSHOTS})`);
  if (nbSnapshots > 0) {
    if (snapshotsOffset % clusterSize !== 0) throw fail(`snapshot table offset ${snapshotsOffset} is not cluster-aligned`);
    if (snapshotsOffset < clusterSize) throw fail(`snapshot table offset ${snapshotsOffset} overlaps the header cluster`);
    if (snapshotsOffset + nbSnapshots * SNAPSHOT_ENTRY_FIXED > fileSize) {
      throw fail(`snapshot table (${nbSnapshots} entries at offset ${snapshotsOffset}) runs past the end of the file (${fileSize} bytes)`);
    }
  }
  const l1Size = buf.readUInt32BE(36);
  const l1TableOffset = u64(buf, 40, 'L1 table offset', fail);
  const refcountTableOffset = u64(buf, 48, 'refcount table offset', fail);
  const refcountTableClusters = buf.readUInt32BE(56);
  return {
    version,
    clusterBits,
    clusterSize,
    virtualSize,
    backingFileOffset,
    backingFileSize,
    nbSnapshots,
    snapshotsOffset,
    headerLength,
    dirty,
    corrupt,
    cryptMethod: buf.readUInt32BE(32),
    l1Size,
    l1TableOffset,
    refcountTableOffset,
    refcountTableClusters,
    refcountOrder,
    incompatibleFeatures: incompatible,
    autoclearFeatures,
    compressionType,
  };
}
