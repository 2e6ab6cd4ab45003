import { resolve } from 'node:path';
import { BackendError, FormatError } from '../../errors.js';
import { withFile } from '../file-access.js';
import { assembleBatch } from './qcow2-merge-batch.js';
import { openMergeChild } from './qcow2-merge-child.js';
import { batchUnits, openParent, simulateMerge, type MergeBatching } from './qcow2-merge-plan.js';
import { scanBatch } from './qcow2-merge-scan.js';
import { applyWrites, writeBatch, type MergePoint } from './qcow2-merge-write.js';
import { readRedoLog, removeRedoLog } from './qcow2-redo-log.js';

export interface MergeOptions extends MergeBatching {
  /** the batch's redo log file; must not exist when the merge starts */
  redoLog: string;
  /** guest clusters filled so far, of the total the merge will fill */
  progress?: (done: number, total: number) => void;
  /** test hook: called at each MERGE_POINTS name, as `<point>:<batch index>` */
  onPoint?: (point: string) => void;
}

/**
 * Makes every L1 table of `child` (active and every internal snapshot) independent of `parent`:
 * wherever a table has a hole that reads through to `parent` and `parent`'s active layer has data
 * (or a zero cluster), the table gets that data. Each copied cluster is written once per child
 * file and shared by refcount among all of the child's tables that need it (several copies only
 * where the refcount width cannot count every sharer). The child's backing name is NOT changed.
 * Idempotent: a second run finds no holes to fill and writes nothing. Every refusal is met by a
 * full dry run before the first write, so a refused merge changes no byte.
 */
export async function mergeParentIntoChild(parent: string, child: string, opts: MergeOptions): Promise<{ clusters: number; bytes: number }> {
  const pending = await readRedoLog(opts.redoLog);
  if (pending.state !== 'absent') {
    throw new BackendError(`cannot merge ${parent} into ${child}: redo log ${opts.redoLog} exists from an interrupted merge; run recoverParentMerge first`);
  }
  const f = await openParent(parent);
  try {
    return await withFile(
      child,
      async (file) => {
        const cx = await openMergeChild(child, file, parent, f.meta);
        const { filled: total } = await simulateMerge(cx, opts);
        const original = cx.fileSize;
        let done = 0;
        let batch = 0;
        for (let cursor: number | null = 0; cursor !== null && done < total; batch++) {
          const scan = await scanBatch(cx, cursor, batchUnits(cx, opts));
          if (!scan.fills.length) break;
          const plan = await assembleBatch(cx, scan);
          const n = batch;
          const point = (p: MergePoint) => opts.onPoint?.(`${p}:${n}`);
          await writeBatch(file, cx.parent, plan, { path: opts.redoLog, child: resolve(child) }, point);
          cx.store.forget();
          cx.fileSize = plan.newLength;
          done += plan.filled;
          opts.progress?.(done, total);
          cursor = scan.next;
        }
        return { clusters: done, bytes: cx.fileSize - original };
      },
      true,
    );
  } finally {
    await f.file.close();
  }
}

/**
 * After a crash during mergeParentIntoChild: replays a complete redo log or discards a torn one,
 * and leaves `child` consistent (qemu-img check clean). A torn log means none of its batch's
 * metadata was applied, so the child goes back to the length the log recorded before the batch
 * wrote anything (every earlier batch had finished, so that length holds all they made live); a
 * log torn in its header was written before the batch touched the child, which stays as it is.
 * Then the caller may simply run the merge again.
 */
export async function recoverParentMerge(child: string, redoLog: string): Promise<'replayed' | 'discarded' | 'nothing'> {
  const log = await readRedoLog(redoLog);
  if (log.state === 'absent') return 'nothing';
  if (log.state === 'torn-header') {
    await removeRedoLog(redoLog);
    return 'discarded';
  }
  if (log.child !== resolve(child)) throw new FormatError(redoLog, `the redo log is for ${log.child}, not ${resolve(child)}`);
  await withFile(
    child,
    async (file) => {
      const size = await file.size();
      if (log.state === 'torn') {
        if (size < log.originalLength) throw new FormatError(child, `it is ${size} bytes, shorter than the ${log.originalLength} bytes the redo log ${redoLog} recorded`);
        if (size > log.originalLength) await file.truncate(log.originalLength);
      } else {
        if (size < log.newLength) throw new FormatError(child, `it is ${size} bytes, shorter than the ${log.newLength} bytes the redo log ${redoLog} needs`);
        await applyWrites(file, log.writes);
      }
      await file.sync();
    },
    true,
  );
  await removeRedoLog(redoLog);
  return log.state === 'torn' ? 'discarded' : 'replayed';
}
