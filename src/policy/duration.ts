const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Durations are a whole number and one unit: `90s`, `90m`, `2h`, `7d`, `4w`. */
export const DURATION_RE = /^(\d+)(s|m|h|d|w)$/;

/** The longest duration a policy or config may name: 10 years of 365 days. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/**
 * Milliseconds for a duration like `2h`; null when the text is not exactly a whole number and
 * one of s, m, h, d, w, or when the result is beyond safe integers.
 */
export function parseDuration(text: string): number | null {
  const m = DURATION_RE.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** The shortest exact form: 7200000 → `2h`, 5400000 → `90m`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}
