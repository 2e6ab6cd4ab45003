import { BugError } from '../../errors.js';
import type { WritableFileAccess } from '../file-access.js';
import type { BatchPlan } from './qcow2-merge-batch.js';
import type { ParentReader } from './qcow2-parent-reader.js';
import { RedoLog, removeRedoLog } from './qcow2-redo-log.js';
import type { MetadataWrite } from './qcow2-staged-writes.js';

// Data moves in chunks of this size: large sequential writes, bounded memory.
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * The points between the phases of a batch, in order, as `onPoint` names them (with
 * `:<batch index>` appended): log header durable, some data written, data durable, log body
 * half written, log durable, metadata half applied, metadata durable, log removed. `mid-data`
 * happens only in batches with data clusters, `mid-apply` only with two metadata writes or more.
 */
export const MERGE_POINTS = ['after-intent', 'mid-data', 'after-data', 'mid-redo', 'after-redo', 'mid-apply', 'after-apply', 'after-cleanup'] as const;
export type MergePoint = (typeof MERGE_POINTS)[number];

/**
 * Writes the batch's data clusters (F's bytes) from `plan.dataCopies`, chunk by chunk, reading
 * the next chunk from F while the current one is written.
 */
async function writeData(f: WritableFileAccess, parent: ParentReader, plan: BatchPlan, afterFirstChunk: () => void): Promise<void> {
  const copies = plan.dataCopies;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / parent.childClusterSize));
  const readChunk = (n: number) => {
    const p = parent.readMany(copies.slice(n, n + perChunk).map((c) => c.source));
    p.catch(() => {}); // awaited below; this only keeps a read that fails during a failed write from going unhandled
    return p;
  };
  let next = copies.length ? readChunk(0) : null;
  for (let n = 0; next; n += perChunk) {
    const bytes = await next;
    next = n + perChunk < copies.length ? readChunk(n + perChunk) : null;
    await f.write(copies[n]!.offset, bytes);
    if (n === 0) afterFirstChunk();
  }
}

/** The new metadata clusters, which lie back to back after the data: one write per run. */
async function writeFresh(f: WritableFileAccess, fresh: Map<number, Buffer>): Promise<void> {
  const sorted = [...fresh].sort((a, b) => a[0] - b[0]);
  for (let n = 0; n < sorted.length; ) {
    let m = n + 1;
    while (m < sorted.length && sorted[m]![0] === sorted[m - 1]![0] + sorted[m - 1]![1].length) m++;
    await f.write(sorted[n]![0], Buffer.concat(sorted.slice(n, m).map(([, b]) => b)));
    n = m;
  }
}

export async function applyWrites(f: WritableFileAccess, writes: MetadataWrite[], midway?: () => void): Promise<void> {
  const half = writes.length >> 1;
  for (let n = 0; n < writes.length; n++) {
    if (n === half && n > 0) midway?.();
    await f.write(writes[n]!.offset, writes[n]!.bytes);
  }
}

/**
 * Writes one batch in the crash-safe order: (0) redo log header (the length to come back to);
 * (1) data and new metadata clusters beyond the end of the child, fsync; (2) the log body,
 * fsync; (3) the metadata writes in place, fsync; (4) the log removed, directory fsync. A
 * failure before (2) is finished undoes the batch here (truncate, remove the log); after it,
 * the log stays for recoverParentMerge to replay.
 */
export async function writeBatch(
  f: WritableFileAccess,
  parent: ParentReader,
  plan: BatchPlan,
  log: { path: string; child: string },
  point: (p: MergePoint) => void,
): Promise<void> {
  const size = await f.size();
  if (size !== plan.originalLength) throw new BugError(`${log.child} is ${size} bytes, but the batch was planned for ${plan.originalLength}`);
  const redo = await RedoLog.begin(log.path, log.child, plan.originalLength);
  try {
    point('after-intent');
    await writeData(f, parent, plan, () => point('mid-data'));
    await writeFresh(f, plan.staged.fresh);
    await f.sync();
    const grown = await f.size();
    if (grown !== plan.newLength) throw new BugError(`${log.child} grew to ${grown} bytes, not the planned ${plan.newLength}`);
    point('after-data');
    await redo.commit(plan.newLength, plan.staged.writes, () => point('mid-redo'));
  } catch (e) {
    await redo.close();
    await f.truncate(plan.originalLength);
    await f.sync();
    await removeRedoLog(log.path);
    throw e;
  }
  await redo.close();
  point('after-redo');
  await applyWrites(f, plan.staged.writes, () => point('mid-apply'));
  await f.sync();
  point('after-apply');
  await removeRedoLog(log.path);
  point('after-cleanup');
}
