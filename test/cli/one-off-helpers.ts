// Shared by the create/delete/pin tests: run the CLI in-process or as a child, fingerprint trees.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';

const exec = promisify(execFile);
/** dist/test/cli → repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MAIN = join(REPO, 'dist/src/cli/main.js');
export const STUBS = join(REPO, 'test/stubs');

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `xensnap --config CONFIG ARGS...` in this process. */
export async function cli(config: string, ...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const stream = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(['--config', config, ...args], { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: {} });
  return { code, out, err };
}

/** Runs the built CLI as a child process; `signal` is set when it was killed. */
export async function spawnCli(config: string, args: string[], env: Record<string, string> = {}): Promise<CliRun & { signal: string | null }> {
  try {
    const r = await exec(process.execPath, [MAIN, '--config', config, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr, signal: null };
  } catch (e) {
    const x = e as { code?: number | null; signal?: string | null; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '', signal: x.signal ?? null };
  }
}

/**
 * sha256 and mode of every file (and mode of every folder) below each dir, by path relative to
 * the dir's parent. Equal results mean nothing changed.
 */
export async function treeState(...dirs: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(root: string, dir: string) {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const s = await stat(p);
      const rel = p.slice(dirname(root).length + 1);
      if (s.isDirectory()) {
        out[rel + '/'] = (s.mode & 0o777).toString(8);
        await walk(root, p);
      } else out[rel] = `${(s.mode & 0o777).toString(8)} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
    }
  }
  for (const d of dirs) await walk(d, d);
  return out;
}

/** `qemu-img info --backing-chain -U` of a qcow2 leaf: the paths from the leaf down. */
export async function chainOf(leaf: string): Promise<string[]> {
  const r = await exec('qemu-img', ['info', '-U', '--backing-chain', '--output=json', leaf]);
  return (JSON.parse(r.stdout) as Array<{ filename: string }>).map((x) => x.filename);
}

/** The internal snapshot names of a qcow2 image (`qemu-img snapshot -l -U`). */
export async function internalTags(image: string): Promise<string[]> {
  const r = await exec('qemu-img', ['info', '-U', '--output=json', image]);
  return ((JSON.parse(r.stdout) as { snapshots?: Array<{ name: string }> }).snapshots ?? []).map((s) => s.name);
}

/** The files of the journal folder (an ended operation leaves none). */
export async function journalFiles(stateDir: string): Promise<string[]> {
  return readdir(join(stateDir, '.journal')).catch(() => []);
}
