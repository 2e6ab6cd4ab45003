// An independent reference for schedule slots across DST, written from cronie's behaviour
// (src/cron.c: its main loop's "DST begins" / "DST ends" cases) and sharing no code with
// src/plan: its own cron matcher, its own offsets (Intl's longOffset names), and a clock that
// ticks through every real minute, as cron does, instead of mapping wall times to instants.

/** One cron field as a set of allowed values. */
function field(text: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(Number) as [number, number];
    else [lo, hi] = [Number(range), stepText === undefined ? Number(range) : max];
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** A 5-field cron schedule (numbers, ranges, steps, lists, `*`) as a predicate on wall times (naive UTC ms). */
export function referenceCron(schedule: string): { wildcardHour: boolean; matches(wallMs: number): boolean } {
  const [m, h, dom, mon, dow] = schedule.trim().split(/\s+/) as [string, string, string, string, string];
  const minutes = field(m, 0, 59);
  const hours = field(h, 0, 23);
  const days = field(dom, 1, 31);
  const months = field(mon, 1, 12);
  const weekdays = field(dow, 0, 7);
  if (weekdays.has(7)) weekdays.add(0);
  const domStar = dom.startsWith('*');
  const dowStar = dow.startsWith('*');
  return {
    wildcardHour: h.startsWith('*'),
    matches(wallMs: number) {
      if (!minutes.has(Math.floor(wallMs / 60_000) % 60) || !hours.has(Math.floor(wallMs / 3_600_000) % 24)) return false;
      const w = new Date(wallMs);
      if (!months.has(w.getUTCMonth() + 1)) return false;
      const d = days.has(w.getUTCDate());
      const wd = weekdays.has(w.getUTCDay());
      // cron's day rule: both restricted → either; otherwise both
      return domStar || dowStar ? d && wd : d || wd;
    },
  };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of `tz` at `ms`, in minutes, read from Intl's "GMT+05:45" style names. */
export function referenceOffsetMinutes(tz: string, ms: number): number {
  let f = offsetFormats.get(tz);
  if (!f) offsetFormats.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })));
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  const mt = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!mt) throw new Error(`unexpected offset name ${name}`);
  if (!mt[1]) return 0;
  return (mt[1] === '-' ? -1 : 1) * (Number(mt[2]) * 60 + Number(mt[3]));
}

const MIN = 60_000;
const HOUR = 3_600_000;

const offsetTables = new Map<string, Int16Array>();

/** Offsets for every minute of [fromMs, toMs): Intl once an hour, per minute where the hour changes. */
function offsetsByMinute(tz: string, fromMs: number, toMs: number): Int16Array {
  const key = `${tz} ${fromMs} ${toMs}`;
  const cached = offsetTables.get(key);
  if (cached) return cached;
  const n = Math.ceil((toMs - fromMs) / MIN);
  const out = new Int16Array(n);
  for (let h = 0; h * 60 < n; h++) {
    const t0 = fromMs + h * HOUR;
    const a = referenceOffsetMinutes(tz, t0);
    const b = referenceOffsetMinutes(tz, Math.min(t0 + HOUR, toMs));
    for (let i = 0; i < 60 && h * 60 + i < n; i++) out[h * 60 + i] = a === b ? a : referenceOffsetMinutes(tz, t0 + i * MIN);
  }
  offsetTables.set(key, out);
  return out;
}

/**
 * Every instant in [fromMs, toMs] at which cronie (by its DST rules) runs a job with this
 * schedule in zone `tz`: the clock ticks through every real minute; a minute whose wall time
 * matches fires, except that a fixed-hour job does not fire again for a wall time the clock
 * already showed (autumn); when the wall clock jumps forward (spring), a fixed-hour job whose
 * wall time was skipped fires once, at the first minute after the jump. Whole minutes only.
 */
export function referenceSlots(schedule: string, tz: string, fromMs: number, toMs: number): number[] {
  const cron = referenceCron(schedule);
  // a day of warm-up before `from`, so the clock knows which wall times it has shown already
  const start = Math.floor((fromMs - 86_400_000) / MIN) * MIN;
  const offsets = offsetsByMinute(tz, start, toMs + MIN);
  const out: number[] = [];
  let maxWallShown = -Infinity;
  let prevWall: number | null = null;
  for (let i = 0; start + i * MIN <= toMs; i++) {
    const t = start + i * MIN;
    const wall = t + offsets[i]! * MIN;
    let fire = false;
    if (cron.matches(wall)) fire = cron.wildcardHour || wall > maxWallShown;
    if (!fire && !cron.wildcardHour && prevWall !== null && wall - prevWall > MIN) {
      for (let w = prevWall + MIN; w < wall; w += MIN) if (cron.matches(w)) fire = true;
    }
    if (fire && t >= fromMs) out.push(t);
    maxWallShown = Math.max(maxWallShown, wall);
    prevWall = wall;
  }
  return out;
}
