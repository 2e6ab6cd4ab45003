import { FormatError } from '../../errors.js';
import { NodeFileAccess, type FileAccess } from '../file-access.js';
import { u64, type Fail } from './be-fields.js';
import { HeadBytes } from './head-bytes.js';
import { parseQcow2Header } from './parse-qcow2-header.js';
import { readSnapshotEntries } from './read-snapshot-table.js';

/** Bits 9–55 of an L1 entry: the L2 table's offset. */
const L1_OFFSET_MASK = 0x00fffffffffffe00n;
/** Bit 63 of L1/L2 entries ("COPIED", refcount 1) differs between a tag and the active layer for the same cluster. */
const COPIED = 1n << 63n;
const INCOMPAT_EXTENDED_L2 = 1n << 4n;
const MAX_L1_ENTRIES = 32 * 1024 * 1024; // QEMU's QCOW_MAX_L1_SIZE is 32 MiB of entries' bytes; this bounds the loop

/**
 * How far an internal snapshot is from the image's active layer, in clusters: `tagClusters`
 * are the guest clusters the tag's own L2 tables map (data or zero), `differing` those whose
 * mapping differs from the active layer's (same mapping means same host cluster, so the same
 * bytes). Always 0 ≤ differing ≤ tag clusters + active clusters; read-only.
 */
export interface TagClusterDiff {
  clusterSize: number;
  tagClusters: number;
  differing: number;
}

async function readL1(f: FileAccess, offset: number, entries: number, fail: Fail, what: string): Promise<bigint[]> {
  if (entries > MAX_L1_ENTRIES) throw fail(`${what} L1 table has ${entries} entries`);
  const buf = await f.read(offset, entries * 8);
  if (buf.length < entries * 8) throw fail(`${what} L1 table runs past the end of the file`);
  return Array.from({ length: entries }, (_, i) => buf.readBigUInt64BE(i * 8) & ~COPIED);
}

/** Compares the tag's and the active layer's mappings, L2 table by L2 table (shared tables are read once). */
export async function tagClusterDiff(f: FileAccess, tag: string): Promise<TagClusterDiff> {
  const fail: Fail = (problem) => new FormatError(f.name, problem);
  const { head, fileSize } = await HeadBytes.loadWithSize(f, 4096);
  const h = parseQcow2Header(head.bytes, fileSize, fail);
  const extended = h.version === 3 && (head.bytes.readBigUInt64BE(72) & INCOMPAT_EXTENDED_L2) !== 0n;
  const entrySize = extended ? 16 : 8;
  const snap = (await readSnapshotEntries(f, h, fileSize, fail)).find((s) => s.name === tag);
  if (!snap) throw fail(`no internal snapshot named "${tag}"`);
  const active = await readL1(f, u64(head.bytes, 40, 'L1 table offset', fail), head.bytes.readUInt32BE(36), fail, 'the active');
  const tagged = await readL1(f, snap.l1TableOffset, snap.l1Size, fail, `snapshot ${tag}'s`);
  const perL2 = h.clusterSize / entrySize;
  const tables = new Map<bigint, Buffer>();
  const l2 = async (entry: bigint | undefined): Promise<Buffer | null> => {
    const off = (entry ?? 0n) & L1_OFFSET_MASK;
    if (off === 0n) return null;
    let t = tables.get(off);
    if (!t) {
      t = await f.read(Number(off), h.clusterSize);
      if (t.length < h.clusterSize) throw fail(`L2 table at ${off} runs past the end of the file`);
      tables.set(off, t);
    }
    return t;
  };
  const word = (t: Buffer | null, i: number, w: number): bigint => (t ? t.readBigUInt64BE(i * entrySize + w * 8) & (w === 0 ? ~COPIED : ~0n) : 0n);
  let tagClusters = 0;
  let differing = 0;
  for (let i = 0; i < Math.max(active.length, tagged.length); i++) {
    const [a, b] = [active[i] ?? 0n, tagged[i] ?? 0n];
    const tb = await l2(b);
    const ta = a === b ? tb : await l2(a);
    for (let j = 0; j < perL2; j++) {
      const same = Array.from({ length: entrySize / 8 }, (_, w) => word(ta, j, w) === word(tb, j, w)).every(Boolean);
      if (!same) differing++;
      if (Array.from({ length: entrySize / 8 }, (_, w) => word(tb, j, w) !== 0n).some(Boolean)) tagClusters++;
    }
    tables.clear(); // one L1 range at a time: memory stays at a few clusters
  }
  return { clusterSize: h.clusterSize, tagClusters, differing };
}

/** tagClusterDiff of a file on disk. */
export async function tagClusterDiffOf(path: string, tag: string): Promise<TagClusterDiff> {
  const f = await NodeFileAccess.open(path);
  try {
    return await tagClusterDiff(f, tag);
  } finally {
    await f.close();
  }
}
