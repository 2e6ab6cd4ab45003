import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recoverParentMerge } from '../../../src/formats/qcow2/qcow2-merge.js';
import { MERGE_POINTS, type MergePoint } from '../../../src/formats/qcow2/qcow2-merge-write.js';
import { tempDir } from '../vhd/vhd-tools.js';
import { check, create, exportAll, image, io, mergeAndVerify, snapshot, type Graph } from './merge-fixture.js';

const KILL_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'merge-kill-child.js');

/** Runs the merge in a child process that SIGKILLs itself at `point`; resolves with how it ended. */
function mergeUntil(g: Graph, child: string, point: string, batchBytes: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KILL_CHILD, g.parent, child, `${child}.redo`, point, String(batchBytes)], (err) => {
      resolve(err ? ((err as { signal?: string }).signal ?? `exit ${(err as { code?: unknown }).code}`) : 'finished');
    });
  });
}

const EXPECTED: Record<MergePoint, 'discarded' | 'replayed' | 'nothing'> = {
  'after-intent': 'discarded',
  'mid-data': 'discarded',
  'after-data': 'discarded',
  'mid-redo': 'discarded',
  'after-redo': 'replayed',
  'mid-apply': 'replayed',
  'after-apply': 'replayed',
  'after-cleanup': 'nothing',
};

/** Builds the graph once in `dir` (relative backing names, so copies of the directory work). */
type Build = (dir: string) => Promise<void>;

async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const f of await readdir(from)) await copyFile(join(from, f), join(to, f));
}

/** Checks something of the killed child before recovery (`pristine`: the child as built). */
type AfterKill = (point: MergePoint, pristine: string, killed: string) => Promise<void>;

async function killMatrix(
  t: { after: (fn: () => Promise<void>) => void },
  name: string,
  build: Build,
  batchBytes: number,
  batches: number[],
  points: readonly MergePoint[],
  afterKill?: AfterKill,
): Promise<void> {
  const { dir, cleanup } = await tempDir(`q2merge-kill-${name}`);
  t.after(cleanup);
  const pristine = join(dir, 'pristine');
  await mkdir(pristine);
  await build(pristine);
  const graphIn = (d: string): Graph => ({ dir: d, parent: join(d, 'F.qcow2'), grand: join(d, 'P.qcow2'), children: [join(d, 'C.qcow2')] });
  const before = await exportAll(graphIn(pristine));
  let n = 0;
  for (const batch of batches) {
    for (const point of points) {
      const d = join(dir, `run-${n++}`);
      await copyDir(pristine, d);
      const g = graphIn(d);
      const C = g.children[0]!;
      const ended = await mergeUntil(g, C, `${point}:${batch}`, batchBytes);
      const at = `killed at ${point} of batch ${batch}`;
      assert.equal(ended, 'SIGKILL', at);
      await afterKill?.(point, join(pristine, 'C.qcow2'), C);
      const crashed = await check(C);
      assert.equal(crashed.corruptions + crashed.errors, 0, `${at}: at worst leaks (${JSON.stringify(crashed)})`);
      assert.equal(await recoverParentMerge(C, `${C}.redo`), EXPECTED[point], at);
      assert.deepEqual(await check(C), { leaks: 0, corruptions: 0, errors: 0 }, `${at}: clean after recovery`);
      await assert.rejects(stat(`${C}.redo`), { code: 'ENOENT' }, `${at}: the redo log is gone`);
      assert.equal(await recoverParentMerge(C, `${C}.redo`), 'nothing', `${at}: a second recovery has nothing to do`);
      // The oracle also checks that every table still reads as before, with F in place.
      await mergeAndVerify(g, { batchBytes }, new Map([[C, before.get(join(pristine, 'C.qcow2'))!]]));
    }
  }
}

test('killed at every point of the first and of a later batch: recovery, then the merge again, loses nothing', async (t) => {
  await killMatrix(
    t,
    'points',
    async (d) => {
      await create(join(d, 'P.qcow2'), '4M');
      await io(join(d, 'P.qcow2'), 'write -P 0x11 0 4M');
      await create(join(d, 'F.qcow2'), '4M', { backing: 'P.qcow2', o: 'cluster_size=4096' });
      await io(join(d, 'F.qcow2'), 'write -P 0x22 0 1M', 'write -z 1M 64k', 'write -c -P 0x23 2M 64k', 'write -P 0x24 3M 256k');
      const C = join(d, 'C.qcow2');
      await create(C, '4M', { backing: 'F.qcow2', o: 'cluster_size=4096' });
      await snapshot(C, 'empty');
      await io(C, 'write -P 0x31 4k 4k');
      await snapshot(C, 'one');
      await io(C, 'write -P 0x32 3M 4k');
    },
    64 * 1024,
    [0, 3],
    MERGE_POINTS,
  );
});

test('killed while the refcount table moves (512-byte clusters, 64-bit refcounts)', async (t) => {
  await killMatrix(
    t,
    'growth',
    async (d) => {
      await create(join(d, 'P.qcow2'), '3M');
      await create(join(d, 'F.qcow2'), '3M', { backing: 'P.qcow2' });
      await io(join(d, 'F.qcow2'), 'write -P 0x22 0 3M');
      const C = await image(join(d, 'C.qcow2'), '3M', { backing: 'F.qcow2', o: 'cluster_size=512,refcount_bits=64' }, 'write -P 0x31 0 512');
      await snapshot(C, 'tag');
    },
    512 * 1024,
    [3], // the batch that crosses 2 MiB of file: its blocks need a second refcount table cluster
    ['after-data', 'mid-redo', 'after-redo', 'mid-apply', 'after-apply'],
    async (point, pristine, killed) => {
      if (point !== 'after-apply') return;
      const tableOf = async (p: string) => (await readFile(p)).readBigUInt64BE(48);
      assert.notEqual(await tableOf(killed), await tableOf(pristine), 'batch 3 moved the refcount table');
    },
  );
});
