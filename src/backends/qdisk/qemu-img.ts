import { execFile } from 'node:child_process';
import { BackendError } from '../../errors.js';
import { run } from '../../util/exec.js';

/** The qemu-img binary; tests and hosts with a non-PATH install may override it. */
export const QEMU_IMG = process.env.XENSNAP_QEMU_IMG ?? 'qemu-img';
const TIMEOUT_MS = 30 * 60_000; // merges of large images take long; a hung tool still ends

/** One internal snapshot as `qemu-img info --output=json` lists it. */
export interface ImgSnapshot {
  id: string;
  name: string;
  dateSec: number;
}

/**
 * One image of a chain as `qemu-img info --output=json` describes it. `backingPath` is the
 * absolute path QEMU resolves the backing name to (null when the image has no backing file);
 * `backingName` is the string stored in the header, which may be relative.
 */
export interface ImgInfo {
  filename: string;
  format: string;
  virtualSize: number;
  actualSize: number;
  backingName: string | null;
  backingPath: string | null;
  backingFormat: string | null;
  snapshots: ImgSnapshot[];
}

/** One extent of `qemu-img map --output=json`: depth 0 means allocated in the top image. */
export interface MapExtent {
  start: number;
  length: number;
  depth: number;
  data: boolean;
  zero: boolean;
}

/** `qemu-img check --output=json` summary; all counts 0 on a clean image. */
export interface CheckResult {
  filename: string;
  checkErrors: number;
  corruptions: number;
  leaks: number;
  /** false when the format has no consistency check (raw). */
  supported: boolean;
}

function fail(file: string, what: string): never {
  throw new BackendError(`qemu-img returned unexpected JSON for ${file}: ${what}`);
}

function toInfo(o: Record<string, unknown>, file: string): ImgInfo {
  if (typeof o.filename !== 'string' || typeof o.format !== 'string' || typeof o['virtual-size'] !== 'number') {
    fail(file, 'missing filename, format or virtual-size');
  }
  const snaps = Array.isArray(o.snapshots) ? (o.snapshots as Record<string, unknown>[]) : [];
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    filename: o.filename,
    format: o.format,
    virtualSize: o['virtual-size'] as number,
    actualSize: typeof o['actual-size'] === 'number' ? o['actual-size'] : 0,
    backingName: str(o['backing-filename']),
    backingPath: str(o['full-backing-filename']) ?? str(o['backing-filename']),
    backingFormat: str(o['backing-filename-format']),
    snapshots: snaps.map((s) => ({ id: String(s.id), name: String(s.name), dateSec: Number(s['date-sec'] ?? 0) })),
  };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    fail(file, 'not JSON');
  }
}

/** `qemu-img info --output=json [-f fmt] [-U] FILE`. */
export async function info(file: string, opts: { format?: string; shareRw?: boolean } = {}): Promise<ImgInfo> {
  const args = ['info', '--output=json', ...(opts.format ? ['-f', opts.format] : []), ...(opts.shareRw ? ['-U'] : []), file];
  const { stdout } = await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
  return toInfo(parseJson(stdout, file) as Record<string, unknown>, file);
}

/** The whole chain from `file` down to its base, top first (`--backing-chain`). */
export async function chain(file: string, opts: { format?: string; shareRw?: boolean } = {}): Promise<ImgInfo[]> {
  const args = ['info', '--output=json', '--backing-chain', ...(opts.format ? ['-f', opts.format] : []), ...(opts.shareRw ? ['-U'] : []), file];
  const { stdout } = await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
  const parsed = parseJson(stdout, file);
  if (!Array.isArray(parsed) || parsed.length === 0) fail(file, 'backing chain is not a non-empty array');
  return parsed.map((o) => toInfo(o as Record<string, unknown>, file));
}

/**
 * `qemu-img snapshot` has no `-f`: the format is fixed through `--image-opts` instead, so a file
 * is never probed (commas in the path are doubled, the option syntax's escape).
 */
function qcow2Opts(file: string): string {
  return `driver=qcow2,file.driver=file,file.filename=${file.replace(/,/g, ',,')}`;
}

/** `qemu-img snapshot -c|-d NAME` on a qcow2 image. */
export async function snapshotCreate(file: string, name: string): Promise<void> {
  await run(QEMU_IMG, ['snapshot', '--image-opts', '-c', name, qcow2Opts(file)], { timeoutMs: TIMEOUT_MS });
}
export async function snapshotDelete(file: string, name: string): Promise<void> {
  await run(QEMU_IMG, ['snapshot', '--image-opts', '-d', name, qcow2Opts(file)], { timeoutMs: TIMEOUT_MS });
}
/** `qemu-img snapshot -l` as text (it has no JSON form; prefer `info().snapshots`). */
export async function snapshotList(file: string): Promise<string> {
  return (await run(QEMU_IMG, ['snapshot', '--image-opts', '-l', qcow2Opts(file)], { timeoutMs: TIMEOUT_MS })).stdout;
}

/** `qemu-img create -f qcow2 [-F fmt -b backing] [-u] FILE [size]`. */
export async function createQcow2(file: string, opts: { backing?: string; backingFormat?: string; unsafe?: boolean; size?: number }): Promise<void> {
  const args = ['create', '-q', '-f', 'qcow2'];
  if (opts.backing !== undefined) args.push('-F', opts.backingFormat ?? 'qcow2', '-b', opts.backing);
  if (opts.unsafe) args.push('-u');
  args.push(file);
  if (opts.size !== undefined) args.push(String(opts.size));
  await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
}

/** `qemu-img commit -f fmt [-b base] [-d] FILE`: writes FILE's data into its backing (or `base`). */
export async function commit(file: string, opts: { format: string; base?: string; keepTop?: boolean }): Promise<void> {
  const args = ['commit', '-q', '-f', opts.format, ...(opts.base ? ['-b', opts.base] : []), ...(opts.keepTop ? ['-d'] : []), file];
  await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
}

/**
 * `qemu-img rebase -f fmt [-u] -F bfmt -b backing FILE`; `backing: null` (`-b ''`) flattens the
 * old chain into FILE. Safe mode (no `-u`) keeps FILE's guest-visible content.
 */
export async function rebase(file: string, opts: { format: string; backing: string | null; backingFormat?: string; unsafe?: boolean }): Promise<void> {
  const args = ['rebase', '-q', '-f', opts.format, ...(opts.unsafe ? ['-u'] : [])];
  if (opts.backing === null) args.push('-b', '');
  else args.push('-F', opts.backingFormat ?? 'qcow2', '-b', opts.backing);
  args.push(file);
  await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
}

/** `qemu-img map --output=json -f fmt FILE` (the whole chain, with depths). */
export async function map(file: string, format: string, opts: { shareRw?: boolean } = {}): Promise<MapExtent[]> {
  const args = ['map', '--output=json', '-f', format, ...(opts.shareRw ? ['-U'] : []), file];
  const { stdout } = await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
  const parsed = parseJson(stdout, file);
  if (!Array.isArray(parsed)) fail(file, 'map is not an array');
  return parsed.map((e: Record<string, unknown>) => ({
    start: Number(e.start), length: Number(e.length), depth: Number(e.depth), data: e.data === true, zero: e.zero === true,
  }));
}

/** `qemu-img measure --output=json -O qcow2 -f fmt FILE`: bytes a converted copy needs. */
export async function measure(file: string, format: string): Promise<{ required: number; fullyAllocated: number }> {
  const { stdout } = await run(QEMU_IMG, ['measure', '--output=json', '-O', 'qcow2', '-f', format, file], { timeoutMs: TIMEOUT_MS });
  const o = parseJson(stdout, file) as Record<string, unknown>;
  return { required: Number(o.required), fullyAllocated: Number(o['fully-allocated']) };
}

/** `qemu-img convert -O fmt [-l snapshot.name=S] SRC DST`. */
export async function convert(src: string, dst: string, opts: { format: string; outFormat: string; snapshot?: string }): Promise<void> {
  const args = ['convert', '-f', opts.format, '-O', opts.outFormat, ...(opts.snapshot ? ['-l', `snapshot.name=${opts.snapshot}`] : []), src, dst];
  await run(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
}

/** Runs qemu-img where a non-zero exit is an answer (check, compare): resolves with the code. */
function runStatus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(QEMU_IMG, args, { timeout: TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ code, stdout, stderr });
      reject(new BackendError(`${QEMU_IMG} failed`, { command: [QEMU_IMG, ...args], exitCode: null, stderr: String(stderr || err.message) }));
    });
  });
}

/** `qemu-img check --output=json [-r leaks] -f fmt FILE`. Exit 2/3 still carry the JSON. */
export async function check(file: string, format: string, opts: { repairLeaks?: boolean } = {}): Promise<CheckResult> {
  const args = ['check', '--output=json', ...(opts.repairLeaks ? ['-r', 'leaks'] : []), '-f', format, file];
  const r = await runStatus(args);
  if (r.code === 63) return { filename: file, checkErrors: 0, corruptions: 0, leaks: 0, supported: false };
  if (r.code !== 0 && r.code !== 2 && r.code !== 3) {
    throw new BackendError('qemu-img check failed', { command: [QEMU_IMG, ...args], exitCode: r.code, stderr: r.stderr });
  }
  const o = parseJson(r.stdout, file) as Record<string, unknown>;
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { filename: file, checkErrors: n(o['check-errors']), corruptions: n(o.corruptions), leaks: n(o.leaks), supported: true };
}

/** `qemu-img compare -f fa -F fb A B`: true when the guest-visible contents are identical. */
export async function compare(a: string, fa: string, b: string, fb: string): Promise<boolean> {
  const args = ['compare', '-q', '-f', fa, '-F', fb, a, b];
  const r = await runStatus(args);
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw new BackendError('qemu-img compare failed', { command: [QEMU_IMG, ...args], exitCode: r.code, stderr: r.stderr });
}
