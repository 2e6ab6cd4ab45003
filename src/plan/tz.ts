/**
 * Time-zone arithmetic for the planner: UTC offsets of an IANA zone, cached per 15-minute
 * bucket (every real transition falls on a quarter hour), so that 1M snapshots cost Map
 * lookups instead of Intl calls. Pure: the cache is a memo of a pure function.
 */
const BUCKET_MS = 15 * 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCaches = new Map<string, Map<number, number>>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

function computeOffset(tz: string, ms: number): number {
  const parts = formatter(tz).formatToParts(new Date(ms));
  const v: Record<string, string> = {};
  for (const p of parts) v[p.type] = p.value;
  let year = Number(v.year);
  if (v.era === 'BC' || v.era === 'B') year = 1 - year;
  const wall = Date.UTC(year, Number(v.month) - 1, Number(v.day), Number(v.hour), Number(v.minute), Number(v.second));
  const whole = ms - (((ms % 1000) + 1000) % 1000);
  return wall - whole;
}

/** Offset (local − UTC, in ms) of `tz` at instant `ms`. */
export function tzOffset(tz: string, ms: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let cache = offsetCaches.get(tz);
  if (!cache) {
    cache = new Map();
    offsetCaches.set(tz, cache);
  }
  const bucket = Math.floor(ms / BUCKET_MS);
  let off = cache.get(bucket);
  if (off === undefined) {
    off = computeOffset(tz, bucket * BUCKET_MS);
    cache.set(bucket, off);
  }
  return off;
}

/** The local wall-clock time of instant `ms` in `tz`, as a naive "UTC" millisecond count. */
export function toWall(tz: string, ms: number): number {
  return ms + tzOffset(tz, ms);
}

const DAY_MS = 86_400_000;

/**
 * The instants at which a wall-clock time occurs in `tz`: one normally, two in a repeated
 * (autumn) hour, none in a skipped (spring) gap. For a wall time in a gap, `gapEnd` is the
 * first instant after the gap (the transition itself), else null. Instants ascend.
 */
export function wallInstants(tz: string, wall: number): { instants: number[]; gapEnd: number | null } {
  const before = tzOffset(tz, wall - DAY_MS);
  const after = tzOffset(tz, wall + DAY_MS);
  const found = new Set<number>();
  for (const off of [before, after]) {
    const t = wall - off;
    if (toWall(tz, t) === wall) found.add(t);
  }
  if (found.size) return { instants: [...found].sort((a, b) => a - b), gapEnd: null };
  // In a gap: the transition lies between the instant the old offset maps the wall time to and
  // the one the new offset does. Offsets only change on quarter hours (tzOffset's buckets).
  const lo = Math.min(wall - before, wall - after);
  const hi = Math.max(wall - before, wall - after);
  for (let t = Math.ceil(lo / BUCKET_MS) * BUCKET_MS; t <= hi; t += BUCKET_MS) {
    if (toWall(tz, t) > wall) return { instants: [], gapEnd: t };
  }
  return { instants: [], gapEnd: hi };
}
