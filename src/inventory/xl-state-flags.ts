/**
 * The six-letter state column of `xl list` (tools/xl/xl_info.c `list_domains`):
 * `r` running, `b` blocked, `p` paused, `s` shut down, then the shutdown reason from
 * `-rscwS` (poweroff, reboot, suspend, crash, watchdog, soft_reset; `?` for a reason xl does not
 * know; `-` when not shut down), then `d` dying. Each position is either its letter or `-`.
 */
export interface XlStateFlags {
  running: boolean;
  blocked: boolean;
  paused: boolean;
  /** null while the domain is not shut down; else the reason's name. */
  shutdown: null | 'poweroff' | 'reboot' | 'suspend' | 'crash' | 'watchdog' | 'soft_reset' | 'unknown';
  dying: boolean;
}

const REASONS: Record<string, XlStateFlags['shutdown']> = {
  '-': 'poweroff',
  r: 'reboot',
  s: 'suspend',
  c: 'crash',
  w: 'watchdog',
  S: 'soft_reset',
  '?': 'unknown',
};

/** Reads a state column; null when it is not one xl can print. */
export function parseXlStateFlags(flags: string): XlStateFlags | null {
  if (flags.length !== 6) return null;
  const at = (i: number, letter: string) => (flags[i] === letter ? true : flags[i] === '-' ? false : null);
  const running = at(0, 'r');
  const blocked = at(1, 'b');
  const paused = at(2, 'p');
  const shut = at(3, 's');
  const dying = at(5, 'd');
  if (running === null || blocked === null || paused === null || shut === null || dying === null) return null;
  const reason = REASONS[flags[4]!];
  if (reason === undefined) return null;
  // xl prints the reason only for a shut-down domain (`shutdown_reason = shutdown ? reason : 0`)
  if (!shut && flags[4] !== '-') return null;
  return { running, blocked, paused, shutdown: shut ? reason : null, dying };
}

/** Why a domain in this state must not be worked on now, or null (running, blocked or paused). */
export function transientState(f: XlStateFlags): string | null {
  if (f.dying) return 'dying';
  if (f.shutdown === 'crash') return 'crashed';
  if (f.shutdown) return `shut down (${f.shutdown})`;
  return null;
}
