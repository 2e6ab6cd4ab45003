// The revert crash matrix: for every step a revert journals (its own, the backend's pre-revert
// create, the record), SIGKILL the revert right after the step's intent is durable and right after
// its effect, run `apply`, and check that the domain is in exactly one of the two end states: as
// before the revert, or fully reverted with the pre-revert snapshot — byte for byte, images clean,
// the plan converged. A listed point the revert never reaches fails the matrix.
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { frozenImagePath } from '../../src/backends/backend.js';
import { crashPointText, testHooks } from '../../src/journal/crash-points.js';
import type { SnapshotRecord } from '../../src/model/snapshot.js';
import { content, imageFiles, type RevertWorld } from './revert-world.js';
import { assertVhdSound } from '../util/batmap-oracle.js';

const exec = promisify(execFile);

/** One snapshot as the template holds it: the content of each disk. */
interface SavedSnapshot {
  name: string;
  type: 'internal' | 'external';
  disks: { vdev: string; image: string; tag: string | null; bytes: Buffer }[];
}

/** A prepared cell: the world at its template, what the revert goes to, and the references. */
export interface RevertCell {
  label: string;
  w: RevertWorld;
  target: string;
  args: string[];
  /** The target restores memory: only then can a crash leave the domain reverted and running. */
  withMemory: boolean;
  /** The template's domain runs. */
  running: boolean;
  before: Buffer[];
  snapshots: SavedSnapshot[];
}

async function records(w: RevertWorld): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  for (const e of await readdir(w.state, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    for (const f of await readdir(join(w.state, e.name))) if (f.startsWith('snapshotdata-')) out.push(JSON.parse(await readFile(join(w.state, e.name, f), 'utf8')) as SnapshotRecord);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function tagsOf(path: string): Promise<string[]> {
  const r = await exec('qemu-img', ['info', '-U', '--output=json', '-f', 'qcow2', path]);
  return ((JSON.parse(r.stdout) as { snapshots?: { name: string }[] }).snapshots ?? []).map((s) => s.name);
}

async function holderOf(w: RevertWorld, tag: string, vdev: string): Promise<string> {
  for (const f of await imageFiles(w)) {
    if (f.endsWith('.qcow2') && f.includes(`-${vdev}`) && (await tagsOf(join(w.images, f))).includes(tag)) return join(w.images, f);
  }
  throw new Error(`no image of ${vdev} holds ${tag}`);
}

/** The content of every recorded snapshot of the world, disk by disk. */
async function snapshotContents(w: RevertWorld): Promise<SavedSnapshot[]> {
  const out: SavedSnapshot[] = [];
  for (const r of await records(w)) {
    const disks = [];
    for (const d of r.disks) {
      const disk = w.disks.find((x) => x.vdev === d.vdev)!;
      const image = d.frozenPath ?? (await holderOf(w, d.tag!, d.vdev));
      disks.push({ vdev: d.vdev, image, tag: d.tag ?? null, bytes: await content(disk, image, d.tag) });
    }
    out.push({ name: r.name, type: r.type, disks });
  }
  return out;
}

/** Saves the world as the cell's template and takes its references. */
export async function prepareCell(label: string, w: RevertWorld, o: { target: string; args: string[]; withMemory: boolean; running: boolean }): Promise<RevertCell> {
  const cell: RevertCell = { label, w, ...o, before: w.disks.map((d) => Buffer.from(d.model)), snapshots: await snapshotContents(w) };
  assert.ok(cell.snapshots.some((s) => s.name === o.target), `${label}: no snapshot ${o.target}`);
  await w.saveTemplate(o.running);
  return cell;
}

/**
 * Checks one end state: `reverted` (leaves = target, pre-revert snapshot = before) or
 * `as-before` (leaves = before, no pre-revert snapshot); every earlier snapshot unchanged; every
 * image clean; no journal, no temporary file; the domain in `state`; the plan converged.
 */
export async function assertEndState(cell: RevertCell, end: 'reverted' | 'as-before', state: string, note: string, applied?: string): Promise<void> {
  const { w } = cell;
  assert.deepEqual(await readdir(join(w.state, '.journal')).catch(() => []), [], `${note}: journal left`);
  const files = await imageFiles(w);
  assert.deepEqual(files.filter((f) => /xensnap|\.read-|\.tmp/.test(f)), [], `${note}: stray files`);
  for (const f of files) {
    const p = join(w.images, f);
    if (f.endsWith('.qcow2')) {
      const r = await exec('qemu-img', ['check', '-U', '-f', 'qcow2', '--output=json', p]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '{}' }));
      const j = JSON.parse(r.stdout) as { corruptions?: number; leaks?: number; 'check-errors'?: number };
      assert.ok(!j.corruptions && !j.leaks && !j['check-errors'], `${note}: qemu-img check ${f}: ${r.stdout}`);
    } else if (f.endsWith('.vhd')) {
      // after a crash a full block may be left unmarked in the batmap, which blktap allows
      await assertVhdSound(p, `${note}: ${f}`, false);
    }
  }
  const recs = await records(w);
  const pre = recs.filter((r) => r.name.startsWith('pre-revert-'));
  assert.deepEqual(recs.filter((r) => !r.name.startsWith('pre-revert-')).map((r) => r.name), cell.snapshots.map((s) => s.name), `${note}: records`);
  const target = cell.snapshots.find((s) => s.name === cell.target)!;
  for (const [i, d] of w.disks.entries()) {
    const want = end === 'reverted' ? target.disks.find((x) => x.vdev === d.vdev)!.bytes : cell.before[i]!;
    assert.ok((await content(d, d.path)).equals(want), `${note}: leaf ${d.vdev} is not ${end === 'reverted' ? `the target ${cell.target}` : 'as before'}`);
  }
  for (const s of cell.snapshots) {
    for (const d of s.disks) {
      const image = d.tag ? await holderOf(w, d.tag, d.vdev) : d.image;
      assert.ok((await content(w.disks.find((x) => x.vdev === d.vdev)!, image, d.tag ?? undefined)).equals(d.bytes), `${note}: snapshot ${s.name} ${d.vdev} changed`);
    }
  }
  if (end === 'reverted') {
    assert.equal(pre.length, 1, `${note}: one pre-revert snapshot`);
    const p = pre[0]!;
    assert.equal(p.description, `state before revert to ${cell.target}`);
    for (const [i, d] of w.disks.entries()) {
      const rec = p.disks.find((x) => x.vdev === d.vdev)!;
      const bytes = rec.frozenPath ? await content(d, rec.frozenPath) : await content(d, d.path, rec.tag!);
      assert.ok(bytes.equals(cell.before[i]!), `${note}: pre-revert ${d.vdev} does not hold the state before`);
    }
  } else {
    assert.deepEqual(pre, [], `${note}: a pre-revert record is left`);
    assert.deepEqual(files.filter((f) => f.includes('@pre-revert-')), [], `${note}: a pre-revert image is left`);
    for (const f of files.filter((x) => x.endsWith('.qcow2'))) assert.deepEqual((await tagsOf(join(w.images, f))).filter((t) => t.startsWith('pre-revert-')), [], `${note}: a pre-revert tag is left in ${f}`);
  }
  assert.equal(await w.status(), state, `${note}: domain state`);
  // converged: nothing to do and nothing missing — in the plan an apply just printed, or a new one
  const plan = applied === undefined ? await w.cli('plan', '--detailed-exitcode') : { code: /\nNo changes\.\n$/.test(applied) ? 0 : 2, out: applied, err: '' };
  assert.equal(plan.code, 0, `${note}: plan --detailed-exitcode: ${plan.out}${plan.err}`);
  assert.doesNotMatch(plan.out, /drift-missing|skipped/, `${note}: ${plan.out}`);
}

/** `step#N` labels of a trace, N counting earlier steps of the same label. */
function numbered(trace: string[]): string[] {
  const seen = new Map<string, number>();
  return trace.map((s) => {
    const n = (seen.get(s) ?? 0) + 1;
    seen.set(s, n);
    return `${s}#${n}`;
  });
}

/**
 * Runs the matrix for one cell; returns the crash points killed (every one listed is, or the
 * matrix fails). Each point starts from the template; the revert is killed there; `apply` recovers.
 */
export async function runRevertMatrix(cell: RevertCell): Promise<string[]> {
  const { w } = cell;
  const revert = ['revert', w.domain, cell.target, '--yes', ...cell.args];
  await w.reset();
  const traceFile = join(w.dir, 'trace.txt');
  const clean = await w.spawnCli(revert, { XENSNAP_TEST_TRACE_STEPS: traceFile });
  assert.equal(clean.code, 0, `${cell.label}: clean revert: ${clean.out}${clean.err}`);
  await assertEndState(cell, 'reverted', cell.withMemory ? 'running' : 'shutoff', `${cell.label} clean`);
  const labels = numbered((await readFile(traceFile, 'utf8')).split('\n').filter(Boolean));
  await rm(traceFile);
  // after the last done, before the journal goes: every step ran, so recovery finishes the revert
  const points = [...labels.flatMap((l) => (['intent', 'effect'] as const).map((phase) => ({ phase, l }))), { phase: 'end' as const, l: 'journal#1' }];
  const stopAt = points.findIndex((p) => p.phase === 'effect' && p.l === 'revert.stop#1');
  const killed: string[] = [];
  const missed: string[] = [];
  for (const [i, { phase, l }] of points.entries()) {
    const hash = l.lastIndexOf('#');
    const point = crashPointText(phase, l.slice(0, hash), Number(l.slice(hash + 1)));
    await w.reset();
    const crashed = await w.spawnCli(revert, { XENSNAP_TEST_CRASH_AT: point });
    if (crashed.signal !== 'SIGKILL') {
      missed.push(`${point} (exit ${crashed.code}: ${crashed.out}${crashed.err})`);
      continue;
    }
    killed.push(point);
    const reverted = point === 'effect:revert.restore#1' || point === 'end:journal#1';
    const stopped = stopAt >= 0 && i >= stopAt;
    const again = await w.cli('apply', '--yes');
    const note = `${cell.label}, killed at ${point}`;
    assert.equal(again.code, 0, `${note}: apply: ${again.out}${again.err}`);
    const verb = reverted ? 'finished' : 'rolled back';
    const words = reverted ? `is reverted to ${cell.target}; the previous state is snapshot pre-revert-` : `is as before the revert: its disks are as they were and no pre-revert snapshot was kept; ${w.domain} is ${stopped ? 'shut off because --stop had stopped it' : cell.running ? 'running' : 'shut off'}`;
    assert.ok(again.out.includes(`recovered: revert of ${cell.target} on ${w.domain}: ${verb}: ${w.domain} ${words}`), `${note}: ${again.out}`);
    await assertEndState(cell, reverted ? 'reverted' : 'as-before', reverted ? (cell.withMemory ? 'running' : 'shutoff') : cell.running && !stopped ? 'running' : 'shutoff', note, again.out);
  }
  assert.deepEqual(missed, [], `${cell.label}: crash points never reached`);
  return killed;
}

/**
 * The in-process twin of the crash matrix: the revert runs inside this process and a step fails
 * (throws) right after its intent or right after its effect; the revert's own rollback must leave
 * the domain as before (or, after the restore, reverted) and say so. Returns the points failed.
 */
export async function runFailureMatrix(cell: RevertCell): Promise<string[]> {
  const { w } = cell;
  const revert = ['revert', w.domain, cell.target, '--yes', ...cell.args];
  const labels: string[] = [];
  await w.reset();
  testHooks.at = (phase, label) => void (phase === 'intent' && labels.push(label));
  try {
    const clean = await w.cli(...revert);
    assert.equal(clean.code, 0, `${cell.label}: clean revert: ${clean.out}${clean.err}`);
  } finally {
    testHooks.at = null;
  }
  const points = numbered(labels).flatMap((l) => (['intent', 'effect'] as const).map((phase) => ({ phase, l })));
  const stopAt = points.findIndex((p) => p.phase === 'effect' && p.l === 'revert.stop#1');
  const failed: string[] = [];
  for (const [i, { phase, l }] of points.entries()) {
    const point = `${phase}:${l}`;
    await w.reset();
    const seen = new Map<string, number>();
    testHooks.at = (ph, label) => {
      const n = (seen.get(`${ph}:${label}`) ?? 0) + 1;
      seen.set(`${ph}:${label}`, n);
      if (`${ph}:${label}#${n}` === point) throw new Error(`injected failure at ${point}`);
    };
    let r;
    try {
      r = await w.cli(...revert);
    } finally {
      testHooks.at = null;
    }
    const note = `${cell.label}, failing at ${point}`;
    const reverted = point === 'effect:revert.restore#1';
    const stopped = stopAt >= 0 && i >= stopAt;
    const state = reverted ? `is reverted to ${cell.target}; the previous state is snapshot pre-revert-` : `is as before the revert: its disks are as they were and no pre-revert snapshot was kept; ${w.domain} is ${stopped ? 'shut off because --stop had stopped it' : cell.running ? 'running' : 'shut off'}`;
    assert.equal(r.code, 1, `${note}: ${r.out}${r.err}`);
    assert.ok(r.err.startsWith(`revert of ${w.domain} to ${cell.target} failed: injected failure at ${point}`) && r.err.includes(`\n${w.domain} ${state}`), `${note}: ${r.err}`);
    await assertEndState(cell, reverted ? 'reverted' : 'as-before', reverted ? 'running' : cell.running && !stopped ? 'running' : 'shutoff', note);
    failed.push(point);
  }
  return failed;
}
