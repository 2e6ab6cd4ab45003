// The content oracle of the snapshot-graph tests: every snapshot's full guest-visible content,
// exported with qemu-img (convert, -l for internal tags), keyed by what the snapshot is, not by
// the file that holds it (a commit moves tags to another file; their content must not change).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as img from '../../src/backends/qdisk/qemu-img.js';

const exec = promisify(execFile);

async function sha(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 of the raw export of `file` (its active layer over its chain, or `tag` inside it). */
export async function contentOf(file: string, format: string, tag?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-oracle-'));
  try {
    const out = join(dir, 'x.raw');
    const args = ['convert', '-O', 'raw', '-f', format, ...(tag ? ['-l', `snapshot.name=${tag}`] : []), file, out];
    await exec('qemu-img', args);
    return await sha(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The content of every snapshot in the images of `dir` (qcow2 and VHD files, hidden ones skipped):
 * `file:<path>` for each image's active layer (a frozen image is its snapshot; the leaf is the
 * guest's disk) and `tag:<name>` for each internal snapshot, wherever it lives.
 */
export async function snapshotContents(dir: string, opts: { vhdRead?: (path: string) => Promise<string> } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.endsWith('.qcow2')) {
      out.set(`file:${path}`, await contentOf(path, 'qcow2'));
      for (const s of (await img.info(path, { format: 'qcow2' })).snapshots) out.set(`tag:${s.name}`, await contentOf(path, 'qcow2', s.name));
    } else if (name.endsWith('.vhd') && opts.vhdRead) {
      out.set(`file:${path}`, await opts.vhdRead(path));
    }
  }
  return out;
}

/**
 * Asserts that `after` holds every snapshot of `before` with the same content, except the keys in
 * `gone` (the deleted snapshot) and `moved` (old file key → new file key, for a commit that gives
 * F the child's path: the child's snapshot keeps its path, F's is gone).
 */
export function sameSnapshots(before: Map<string, string>, after: Map<string, string>, gone: string[]): string[] {
  const problems: string[] = [];
  for (const [k, v] of before) {
    if (gone.includes(k)) {
      if (after.has(k)) problems.push(`${k} should be gone`);
      continue;
    }
    if (!after.has(k)) problems.push(`${k} is missing`);
    else if (after.get(k) !== v) problems.push(`${k} changed`);
  }
  for (const k of after.keys()) if (!before.has(k)) problems.push(`${k} is new`);
  return problems;
}

/** Every qcow2 file of `dir` passes `qemu-img check` (0 corruptions, 0 leaks). */
export async function checkAll(dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.') || !name.endsWith('.qcow2')) continue;
    const r = await img.check(join(dir, name), 'qcow2');
    if (r.checkErrors || r.corruptions || r.leaks) problems.push(`${name}: ${r.corruptions} corruptions, ${r.leaks} leaks, ${r.checkErrors} errors`);
  }
  return problems;
}
