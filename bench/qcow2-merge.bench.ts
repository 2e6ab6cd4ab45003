// Merging 256 MiB of F's data into a child: xensnap's cluster-level merge against
// `qemu-img rebase` (safe mode, onto an empty P) of the same child, in the same run, on fresh
// copies of one child. The merge also serves the child's tags; rebase serves the active layer only.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeParentIntoChild } from '../src/formats/qcow2/qcow2-merge.js';
import { run } from '../src/util/exec.js';
import { median } from './stats.js';

const SIZE = 256 * 1024 * 1024;
const RUNS = 6;

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-q2merge-'));
  try {
    const [P, F, C0, C, T] = ['P.qcow2', 'F.qcow2', 'C0.qcow2', 'C.qcow2', 'T.qcow2'].map((n) => join(dir, n)) as [string, string, string, string, string];
    const img = (...a: string[]) => run('qemu-img', a, { timeoutMs: 600_000 });
    await img('create', '-q', '-f', 'qcow2', P, String(SIZE));
    await img('create', '-q', '-f', 'qcow2', '-b', P, '-F', 'qcow2', F, String(SIZE));
    await run('qemu-io', ['-c', `write -P 0x5a 0 ${SIZE}`, F], { timeoutMs: 600_000 });
    await img('create', '-q', '-f', 'qcow2', '-b', F, '-F', 'qcow2', C0, String(SIZE));
    await img('create', '-q', '-f', 'qcow2', '-b', F, '-F', 'qcow2', T, String(SIZE));
    await img('snapshot', '-c', 'tag', T);

    const contenders: Array<{ label: string; from: string; go: () => Promise<unknown>; times: number[] }> = [
      { label: 'mergeParentIntoChild (active layer)', from: C0, go: () => mergeParentIntoChild(F, C, { redoLog: `${C}.redo` }), times: [] },
      { label: 'mergeParentIntoChild (active layer + 1 tag)', from: T, go: () => mergeParentIntoChild(F, C, { redoLog: `${C}.redo` }), times: [] },
      { label: 'qemu-img rebase -b P (active layer only)', from: C0, go: () => img('rebase', '-q', '-b', P, '-F', 'qcow2', C), times: [] },
    ];
    // Each round starts with a different contender, so none always follows the same one.
    for (let r = 0; r < RUNS; r++) {
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(r + k) % contenders.length]!;
        await rm(C, { force: true });
        await copyFile(c.from, C);
        c.times.push(await seconds(c.go));
      }
    }
    const line = (label: string, xs: number[]) =>
      console.log(`${label.padEnd(56)}${median(xs).toFixed(2).padStart(7)} s  (median of ${RUNS}; ${(SIZE / 2 ** 20 / median(xs)).toFixed(0)} MiB/s)`);
    console.log('256 MiB of F data (64 KiB clusters) into a child with no data of its own, F in the page cache');
    for (const c of contenders) line(c.label, c.times);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
