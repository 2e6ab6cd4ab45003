import { BackendError } from '../../errors.js';
import { run } from '../../util/exec.js';

/** One line of `tap-ctl list`: `pid=N minor=N state=S args=TYPE:PATH`. `path` is null when no image is attached. */
export interface Tapdisk {
  pid: number;
  minor: number;
  state: string;
  type: string | null;
  path: string | null;
}

/** The tap-ctl operations the blktap backend needs (a real adapter over the binary, or a test double). */
export interface TapCtl {
  list(): Promise<Tapdisk[]>;
  pause(pid: number, minor: number): Promise<void>;
  /** Reopens the VHD at `path` (passed as `-a vhd:<path>`). */
  unpause(pid: number, minor: number, path: string): Promise<void>;
}

/** Parses `tap-ctl list` output; lines that do not carry pid and minor are skipped. */
export function parseTapCtlList(stdout: string): Tapdisk[] {
  const out: Tapdisk[] = [];
  for (const line of stdout.split('\n')) {
    const pid = /(?:^|\s)pid=(\d+)/.exec(line);
    const minor = /(?:^|\s)minor=(-?\d+)/.exec(line);
    if (!pid || !minor) continue;
    const state = /(?:^|\s)state=(\S*)/.exec(line)?.[1] ?? '';
    const args = /(?:^|\s)args=(.*)$/.exec(line)?.[1]?.trim() ?? '';
    const colon = args.indexOf(':');
    out.push({
      pid: Number(pid[1]),
      minor: Number(minor[1]),
      state,
      type: colon > 0 ? args.slice(0, colon) : null,
      path: colon > 0 ? args.slice(colon + 1) : null,
    });
  }
  return out;
}

/** tap-ctl through `run` (argument arrays, timeouts, BackendError with stderr). */
export class ExecTapCtl implements TapCtl {
  constructor(
    private readonly binary = 'tap-ctl',
    private readonly timeoutMs = 30_000,
  ) {}
  async list(): Promise<Tapdisk[]> {
    return parseTapCtlList((await run(this.binary, ['list'], { timeoutMs: this.timeoutMs })).stdout);
  }
  async pause(pid: number, minor: number): Promise<void> {
    await run(this.binary, ['pause', '-p', String(pid), '-m', String(minor)], { timeoutMs: this.timeoutMs });
  }
  async unpause(pid: number, minor: number, path: string): Promise<void> {
    if (path.includes('\n')) throw new BackendError(`image path contains a newline: ${JSON.stringify(path)}`);
    await run(this.binary, ['unpause', '-p', String(pid), '-m', String(minor), '-a', `vhd:${path}`], { timeoutMs: this.timeoutMs });
  }
}
