import { BackendError } from '../../errors.js';
import { run } from '../../util/exec.js';

/**
 * One line of `tap-ctl list` (blktap control/tap-ctl.c, tap_cli_list_dict):
 * `pid=%d minor=%d state=%#x args=%s:%s`. `state` is the VBD's TD_VBD_* bit set (null when the
 * line has none); `type` and `path` are null when no image is attached (no `args=`).
 */
export interface Tapdisk {
  pid: number;
  minor: number;
  state: number | null;
  type: string | null;
  path: string | null;
}

/** TD_VBD_PAUSED (blktap drivers/tapdisk-vbd.h). Other bits: 0x1 dead, 0x2 closed, 0x4/0x8 quiesce requested/quiesced, 0x10 pause requested, 0x40 shutdown requested, 0x80 locking, 0x100 log dropped, 0x200 resume failed. */
export const TD_VBD_PAUSED = 0x20;

/** Whether the VBD is paused: its TD_VBD_PAUSED bit, whatever other bits are set. */
export function isPaused(t: Tapdisk): boolean {
  return t.state !== null && (t.state & TD_VBD_PAUSED) !== 0;
}

/** printf's `%#x`: `0`, or `0x` and lower-case hex digits. */
function parseHashX(s: string, line: string): number {
  if (!/^(?:0|0x[0-9a-f]+)$/.test(s)) throw new BackendError(`tap-ctl list: state ${JSON.stringify(s)} is not %#x in line ${JSON.stringify(line)}`, { command: ['tap-ctl', 'list'] });
  return parseInt(s, 16);
}

/** The tap-ctl operations the blktap backend needs (a real adapter over the binary, or a test double). */
export interface TapCtl {
  list(): Promise<Tapdisk[]>;
  pause(pid: number, minor: number): Promise<void>;
  /** Reopens the VHD at `path` (passed as `-a vhd:<path>`). */
  unpause(pid: number, minor: number, path: string): Promise<void>;
}

/**
 * Parses `tap-ctl list` output; lines that do not carry pid and minor (a tapdisk serving nothing,
 * an orphaned minor) are skipped. A state that is not `%#x` is a BackendError.
 */
export function parseTapCtlList(stdout: string): Tapdisk[] {
  const out: Tapdisk[] = [];
  for (const line of stdout.split('\n')) {
    const pid = /(?:^|\s)pid=(\d+)/.exec(line);
    const minor = /(?:^|\s)minor=(-?\d+)/.exec(line);
    if (!pid || !minor) continue;
    const raw = /(?:^|\s)state=(\S*)/.exec(line)?.[1];
    const state = raw === undefined ? null : parseHashX(raw, line);
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
  /** Never with `-t`: tap-ctl v4.0.8's pause treats it as a usage error (getopt fall-through). */
  async pause(pid: number, minor: number): Promise<void> {
    await run(this.binary, ['pause', '-p', String(pid), '-m', String(minor)], { timeoutMs: this.timeoutMs });
  }
  async unpause(pid: number, minor: number, path: string): Promise<void> {
    if (path.includes('\n')) throw new BackendError(`image path contains a newline: ${JSON.stringify(path)}`);
    await run(this.binary, ['unpause', '-p', String(pid), '-m', String(minor), '-a', `vhd:${path}`], { timeoutMs: this.timeoutMs });
  }
}
