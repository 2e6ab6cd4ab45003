import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { recoverParentMerge } from '../../../src/formats/qcow2/qcow2-merge.js';
import { readRedoLog, RedoLog } from '../../../src/formats/qcow2/qcow2-redo-log.js';
import { tempDir } from '../vhd/vhd-tools.js';

const writes = [
  { offset: 8, bytes: Buffer.from('abcd') },
  { offset: 100, bytes: Buffer.from([1, 2, 3]) },
];

async function logged(dir: string, child: string, commit: boolean): Promise<string> {
  const path = join(dir, 'child.redo');
  const log = await RedoLog.begin(path, resolve(child), 64);
  if (commit) await log.commit(128, writes);
  await log.close();
  return path;
}

test('a committed log reads back whole and replays its writes; a second recovery finds nothing', async (t) => {
  const { dir, cleanup } = await tempDir('q2redo');
  t.after(cleanup);
  const child = join(dir, 'child');
  await writeFile(child, Buffer.alloc(128));
  const path = await logged(dir, child, true);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const st = await readRedoLog(path);
  assert.deepEqual(st, { state: 'complete', child: resolve(child), originalLength: 64, newLength: 128, writes });
  assert.equal(await recoverParentMerge(child, path), 'replayed');
  const bytes = await readFile(child);
  assert.deepEqual([bytes.toString('latin1', 8, 12), [...bytes.subarray(100, 103)]], ['abcd', [1, 2, 3]]);
  assert.equal(await recoverParentMerge(child, path), 'nothing');
});

test('a log torn anywhere in its body is discarded: the child goes back to the recorded length', async (t) => {
  const { dir, cleanup } = await tempDir('q2redo-torn');
  t.after(cleanup);
  const child = join(dir, 'child');
  const full = await (async () => {
    await writeFile(child, Buffer.alloc(128));
    const p = await logged(dir, child, true);
    const b = await readFile(p);
    await recoverParentMerge(child, p);
    return b;
  })();
  const headerEnd = (await readFile(await logged(dir, child, false))).length;
  for (let cut = headerEnd; cut < full.length; cut += 3) {
    await writeFile(child, Buffer.alloc(128, 7));
    const p = join(dir, 'child.redo');
    await writeFile(p, full.subarray(0, cut));
    assert.equal((await readRedoLog(p)).state, 'torn', `cut at ${cut}`);
    assert.equal(await recoverParentMerge(child, p), 'discarded', `cut at ${cut}`);
    assert.equal((await stat(child)).size, 64, `cut at ${cut}: truncated to the length before the batch`);
  }
  // A flipped byte in the body is as torn as a short one.
  const flipped = Buffer.from(full);
  flipped[headerEnd + 14] ^= 1;
  await writeFile(join(dir, 'child.redo'), flipped);
  assert.equal((await readRedoLog(join(dir, 'child.redo'))).state, 'torn');
});

test('a log torn in its header was written before the batch touched the child: the child stays', async (t) => {
  const { dir, cleanup } = await tempDir('q2redo-header');
  t.after(cleanup);
  const child = join(dir, 'child');
  await writeFile(child, Buffer.alloc(100, 7));
  const header = await readFile(await logged(dir, child, false));
  for (const cut of [0, 5, 8, 23, 30, header.length - 1]) {
    const p = join(dir, 'child.redo');
    await writeFile(p, header.subarray(0, cut));
    assert.equal(await recoverParentMerge(child, p), 'discarded', `cut at ${cut}`);
    assert.equal((await stat(child)).size, 100, `cut at ${cut}`);
    await assert.rejects(stat(p), { code: 'ENOENT' });
  }
});

test('recovery refuses a log of another file, a file that is not a log, and a child shorter than the log says', async (t) => {
  const { dir, cleanup } = await tempDir('q2redo-refuse');
  t.after(cleanup);
  const child = join(dir, 'child');
  const other = join(dir, 'other');
  await writeFile(child, Buffer.alloc(128));
  await writeFile(other, Buffer.alloc(128));
  const p = await logged(dir, other, true);
  await assert.rejects(recoverParentMerge(child, p), (e: Error) => e instanceof FormatError && /the redo log is for .*other, not .*child/.test(e.message));
  await truncate(other, 100);
  await assert.rejects(recoverParentMerge(other, p), (e: Error) => e instanceof FormatError && /other: it is 100 bytes, shorter than the 128 bytes the redo log/.test(e.message));
  await writeFile(p, 'not a log at all');
  await assert.rejects(recoverParentMerge(child, p), (e: Error) => e instanceof FormatError && /not a xensnap qcow2 redo log/.test(e.message));
  assert.equal((await readFile(p)).toString(), 'not a log at all', 'a foreign file is left alone');
});
