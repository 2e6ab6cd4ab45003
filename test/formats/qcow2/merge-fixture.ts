// Helpers for the cluster-level merge tests: qcow2 graphs built with qemu-img/qemu-io, a content
// oracle that exports every table of every child, and qemu-img check as the judge.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { readQcow2File } from '../../../src/formats/qcow2/read-qcow2-file.js';
import { planParentMerge } from '../../../src/formats/qcow2/qcow2-merge-plan.js';
import { mergeParentIntoChild } from '../../../src/formats/qcow2/qcow2-merge.js';
import { run } from '../../../src/util/exec.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export async function img(...args: string[]): Promise<string> {
  return (await run('qemu-img', args, { timeoutMs: 120_000 })).stdout;
}

/** Runs qemu-io commands (`write -P 5 0 64k`, `write -z …`, `write -c …`) on one image. */
export async function io(path: string, ...cmds: string[]): Promise<void> {
  await run('qemu-io', [...cmds.flatMap((c) => ['-c', c]), path], { timeoutMs: 120_000 });
}

export async function create(path: string, size: string, opts: { backing?: string; fmt?: string; o?: string } = {}): Promise<void> {
  const args = ['create', '-q', '-f', 'qcow2'];
  if (opts.o) args.push('-o', opts.o);
  if (opts.backing) args.push('-b', opts.backing, '-F', opts.fmt ?? 'qcow2');
  await img(...args, path, size);
}

/** Creates a qcow2 image, then runs qemu-io `writes` on it; returns its path. */
export async function image(path: string, size: string, opts: { backing?: string; fmt?: string; o?: string } = {}, ...writes: string[]): Promise<string> {
  await create(path, size, opts);
  if (writes.length) await io(path, ...writes);
  return path;
}

export async function snapshot(path: string, tag: string): Promise<void> {
  await img('snapshot', '-c', tag, path);
}

export async function sha(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

export async function tags(path: string): Promise<string[]> {
  const info = JSON.parse(await img('info', '--output=json', path)) as { snapshots?: { name: string }[] };
  return (info.snapshots ?? []).map((s) => s.name);
}

/**
 * The sha256 of every table of a child, in full: `active`, and each tag (by id) as QEMU reads it
 * (`convert -l snapshot.id=ID`), cut to the tag's own disk size. `convert -l` shows a tag at the
 * image's current virtual size, so past a smaller tag's disk size it reads the backing file; that
 * is not the tag's content (a revert truncates the disk to the tag's size), and the merge leaves
 * it alone. The disk size comes from the snapshot table.
 */
export async function exportTables(path: string, scratch: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const raw = `${scratch}.export.raw`;
  await img('convert', '-O', 'raw', path, raw);
  out.set('active', await sha(raw));
  for (const s of (await readQcow2File(path)).snapshots) {
    await img('convert', '-l', `snapshot.id=${s.id}`, '-O', 'raw', path, raw);
    if (s.diskSize !== null && s.diskSize < (await stat(raw)).size) await truncate(raw, s.diskSize);
    out.set(`tag ${s.id} ${s.name}`, await sha(raw));
  }
  await rm(raw);
  return out;
}

/** The content of a tag as a revert shows it: `qemu-img snapshot -a` on a copy, exported. */
export async function exportByRevert(path: string, tag: string, scratch: string): Promise<string> {
  const copy = `${path}.revert-copy`;
  const raw = `${scratch}.revert.raw`;
  await copyFile(path, copy);
  try {
    await img('snapshot', '-a', tag, copy);
    await img('convert', '-O', 'raw', copy, raw);
    return await sha(raw);
  } finally {
    await rm(copy, { force: true });
    await rm(raw, { force: true });
  }
}

export interface CheckResult {
  leaks: number;
  corruptions: number;
  errors: number;
}

/** `qemu-img check --output=json`: exit 0 clean, 2 corruptions, 3 leaks only (all report JSON). */
export async function check(path: string): Promise<CheckResult> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('qemu-img', ['check', '--output=json', path], (err, out, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0;
      if (err && code !== 2 && code !== 3) reject(new Error(`qemu-img check ${path}: ${stderr || err.message}`));
      else resolve(out);
    }),
  );
  const j = JSON.parse(stdout) as { leaks?: number; corruptions?: number; 'check-errors'?: number };
  return { leaks: j.leaks ?? 0, corruptions: j.corruptions ?? 0, errors: j['check-errors'] ?? 0 };
}

export async function assertClean(path: string, when: string): Promise<void> {
  assert.deepEqual(await check(path), { leaks: 0, corruptions: 0, errors: 0 }, `qemu-img check ${path} ${when}`);
}

/** A graph to merge: F, its own backing (null when F is the base), and F's children. */
export interface Graph {
  dir: string;
  parent: string;
  grand: string | null;
  children: string[];
}

export async function exportAll(g: Graph): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const c of g.children) out.set(c, await exportTables(c, join(g.dir, 'scratch')));
  return out;
}

/**
 * The oracle: exports every table of every child, plans, merges each child, checks the numbers
 * the plan promised, merges again (nothing written), rebases each child onto F's backing (or
 * none), moves F away, and requires every export to be byte-identical and every file clean.
 */
export async function mergeAndVerify(
  g: Graph,
  opts: { batchBytes?: number } = {},
  before?: Map<string, Map<string, string>>,
): Promise<{ clusters: number; bytes: number }> {
  if (before) {
    for (const [c, want] of before) assert.deepEqual(await exportTables(c, join(g.dir, 'scratch')), want, `${c} reads as it did before`);
  } else before = await exportAll(g);
  const plan = await planParentMerge(g.parent, g.children, opts);
  assert.equal(plan.bytesToWrite, plan.children.reduce((n, c) => n + c.bytesToWrite, 0));
  let clusters = 0;
  let bytes = 0;
  for (const [k, c] of g.children.entries()) {
    const size0 = (await stat(c)).size;
    const r = await mergeParentIntoChild(g.parent, c, { redoLog: `${c}.redo`, ...opts });
    assert.deepEqual(r, { clusters: plan.children[k]!.clustersToCopy, bytes: plan.children[k]!.bytesToWrite }, `merge of ${c} does what the plan said`);
    assert.equal((await stat(c)).size - size0, r.bytes, `${c} grew by the bytes reported`);
    const hash = await sha(c);
    assert.deepEqual(await mergeParentIntoChild(g.parent, c, { redoLog: `${c}.redo`, ...opts }), { clusters: 0, bytes: 0 }, 'a second run fills nothing');
    assert.equal(await sha(c), hash, 'a second run writes nothing');
    await assertClean(c, 'after the merge');
    clusters += r.clusters;
    bytes += r.bytes;
  }
  await finishAndCompare(g, before);
  return { clusters, bytes };
}

/** Rebases the children past F, removes F, and compares with `before`. */
export async function finishAndCompare(g: Graph, before: Map<string, Map<string, string>>): Promise<void> {
  for (const c of g.children) {
    await img('rebase', '-u', ...(g.grand ? ['-b', g.grand, '-F', 'qcow2'] : ['-b', '']), c);
  }
  await rename(g.parent, `${g.parent}.removed`);
  try {
    for (const c of g.children) {
      assert.deepEqual(await exportTables(c, join(g.dir, 'scratch')), before.get(c), `every table of ${c} reads the same without F`);
      await assertClean(c, 'after the rebase');
    }
  } finally {
    await rename(`${g.parent}.removed`, g.parent);
  }
}
