// blktap's own vhd-util as the judge of every VHD (see ../shared/peers/README.md).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);

/** $VHD_UTIL, else ../shared/peers/vhd-util beside the repository; null when neither exists (CI requires it). */
export async function vhdUtilPath(): Promise<string | null> {
  for (const p of [process.env.VHD_UTIL, resolve(REPO, '../shared/peers/vhd-util'), '/work/shared/peers/vhd-util']) {
    if (p && (await access(p).then(() => true, () => false))) return p;
  }
  if (process.env.CI) throw new Error('vhd-util is missing: set VHD_UTIL');
  return null;
}

/** `vhd-util check -n FILE`: null when valid (or no vhd-util outside CI), else its output. */
export async function vhdUtilProblem(file: string): Promise<string | null> {
  const bin = await vhdUtilPath();
  if (!bin) return null;
  try {
    const r = await exec(bin, ['check', '-n', file]);
    return /is valid/.test(r.stdout) ? null : r.stdout + r.stderr;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    return `${x.stdout ?? ''}${x.stderr ?? ''}${x.message}`;
  }
}

/** Runs vhd-util with `args` (it must exist: callers skip first when vhdUtilPath() is null); stdout as bytes. */
export async function vhdUtil(args: string[]): Promise<Buffer> {
  const bin = await vhdUtilPath();
  if (!bin) throw new Error('vhd-util is missing');
  const r = await exec(bin, args, { encoding: 'buffer', maxBuffer: 256 << 20 });
  return r.stdout;
}
