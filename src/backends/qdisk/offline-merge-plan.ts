import { dirname, isAbsolute, resolve } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import * as img from './qemu-img.js';
import type { ImgInfo, MapExtent } from './qemu-img.js';
import { lstatOrNull } from './offline-steps.js';

/**
 * How one disk's frozen image F is merged away, chain P ← F ← C (C the next frozen image or the
 * leaf; P null when F is the base). Always: `frozen` is in the chain of `leaf`; neither F nor C
 * holds internal snapshots; `backingName` is the name C's header gets (P's name, or null).
 */
export interface DiskMergePlan {
  vdev: string;
  leaf: string;
  frozen: string;
  frozenFormat: string;
  child: string;
  parent: string | null;
  parentFormat: string | null;
  backingName: string | null;
  method: 'commit' | 'stream';
  /** Bytes the chosen merge writes: stream — F's data C does not shadow; commit — C's data. */
  bytesToCopy: number;
  streamBytes: number;
  commitBytes: number;
  chainDepthAfter: number;
}

interface Range { start: number; end: number }

function own(extents: MapExtent[], dataOnly: boolean): Range[] {
  return extents.filter((e) => e.depth === 0 && (e.data || (!dataOnly && e.zero))).map((e) => ({ start: e.start, end: e.start + e.length }));
}

function total(rs: Range[]): number {
  return rs.reduce((n, r) => n + (r.end - r.start), 0);
}

/** Bytes of `a` not covered by `b` (both sorted, non-overlapping, as qemu-img map gives them). */
function minus(a: Range[], b: Range[]): number {
  let n = 0;
  let j = 0;
  for (const r of a) {
    let pos = r.start;
    while (j < b.length && b[j]!.end <= pos) j++;
    for (let k = j; k < b.length && b[k]!.start < r.end; k++) {
      if (b[k]!.start > pos) n += b[k]!.start - pos;
      pos = Math.max(pos, b[k]!.end);
    }
    if (pos < r.end) n += r.end - pos;
  }
  return n;
}

/**
 * Plans the merge for one disk, or null when F is no longer in the chain and no longer on disk
 * (an interrupted delete already finished this disk). Refuses, changing nothing, when the merge
 * would change another snapshot: internal snapshots inside F would vanish with it, and internal
 * snapshots inside C read unallocated clusters through F, so their content would change.
 *
 * Method: never commit into P (P is another snapshot's frozen image or a foreign base, perhaps
 * shared by other domains, and must not change). Either stream F into C (`qemu-img rebase -b P C`,
 * safe mode: copies into C what F∘P has and C lacks) or, when C holds less data than F, commit C
 * into F (F's own content may change: F is being deleted) and rename F over C; that needs F and C
 * in one directory, F qcow2 with no other hard link, and C a plain file.
 * `shareRw` (qemu-img -U) is for estimates on a running domain only; never before a write.
 */
export async function planDiskMerge(disk: Disk, frozen: string, opts: { shareRw?: boolean } = {}): Promise<DiskMergePlan | null> {
  const chain = await img.chain(disk.path, { format: disk.format, shareRw: opts.shareRw });
  const i = chain.findIndex((c) => resolve(c.filename) === resolve(frozen));
  const refuse = (why: string): never => {
    throw new BackendError(`cannot delete frozen image ${frozen} of disk ${disk.vdev} (${disk.path}): ${why}`);
  };
  if (i < 0) {
    if (!(await lstatOrNull(frozen))) return null;
    refuse('it is not in the backing chain of the disk; the snapshot record and the images disagree');
  }
  if (i === 0) refuse('it is the leaf itself');
  const f = chain[i]!;
  const c = chain[i - 1]!;
  const p: ImgInfo | null = chain[i + 1] ?? null;
  if (f.snapshots.length) refuse(`it holds internal snapshots (${f.snapshots.map((s) => s.name).join(', ')}) that would be lost; delete them first`);
  if (c.snapshots.length) {
    refuse(`${c.filename} holds internal snapshots (${c.snapshots.map((s) => s.name).join(', ')}) that read through it; merging it away would change them; delete them first`);
  }
  const [fMap, cMap] = await Promise.all([img.map(f.filename, f.format, opts), img.map(c.filename, c.format, opts)]);
  const streamBytes = minus(own(fMap, true), own(cMap, false));
  const commitBytes = total(own(cMap, true));
  const fSt = await lstatOrNull(f.filename);
  const cSt = await lstatOrNull(c.filename);
  const commitOk = f.format === 'qcow2' && c.format === 'qcow2' && dirname(resolve(f.filename)) === dirname(resolve(c.filename)) &&
    fSt?.isFile() === true && fSt.nlink === 1 && cSt?.isFile() === true;
  const method = commitOk && commitBytes < streamBytes ? 'commit' : 'stream';
  // Keep P's name as F stores it when C sits beside F (relative names then resolve alike).
  const sameDir = dirname(resolve(f.filename)) === dirname(resolve(c.filename));
  const backingName = p ? (sameDir && f.backingName ? f.backingName : resolve(p.filename)) : null;
  if (p && backingName && !isAbsolute(backingName) && resolve(dirname(resolve(c.filename)), backingName) !== resolve(p.filename)) {
    refuse(`its backing name ${backingName} does not resolve to ${p.filename} from ${c.filename}`);
  }
  return {
    vdev: disk.vdev,
    leaf: disk.path,
    frozen: resolve(f.filename),
    frozenFormat: f.format,
    child: resolve(c.filename),
    parent: p ? resolve(p.filename) : null,
    parentFormat: p ? p.format : null,
    backingName,
    method,
    bytesToCopy: method === 'commit' ? commitBytes : streamBytes,
    streamBytes,
    commitBytes,
    chainDepthAfter: chain.length - 1,
  };
}
