// An independent, slow reference for schedule slots, for the cron subset the property tests use:
// a minute that is a number or `*/n`, an hour that is a number, `*` or `*/n`, `*` day and month,
// and a weekday that is `*` or a number. It walks real instants in 15-minute steps (every zone the
// tests use is offset from UTC by a multiple of 15 minutes, and every minute field names multiples
// of 15), reads each instant's wall clock from Intl, and applies cronie's daylight-saving rule as
// DESIGN.md states it: a schedule whose hour field starts with `*` fires at every instant whose
// wall time matches (both occurrences of a repeated hour, nothing in a spring gap); one with fixed
// hours fires once for a repeated wall time (its first occurrence) and, for a wall time inside a
// spring gap, at the first instant after the gap. No code of src/plan is used.

const STEP_MS = 15 * 60_000;

interface CronSubset {
  minutes: (m: number) => boolean;
  hours: (h: number) => boolean;
  weekdays: (d: number) => boolean;
  wildcardHour: boolean;
}

function field(text: string, what: string, lo: number, hi: number): (v: number) => boolean {
  if (text === '*') return () => true;
  const step = /^\*\/(\d+)$/.exec(text);
  if (step) return (v) => v % Number(step[1]) === 0;
  if (/^\d+$/.test(text) && Number(text) >= lo && Number(text) <= hi) return (v) => v === Number(text);
  throw new Error(`reference-slots: ${what} field ${JSON.stringify(text)} is outside the subset`);
}

function parse(schedule: string): CronSubset {
  const f = schedule.trim().split(/\s+/);
  if (f.length !== 5 || f[2] !== '*' || f[3] !== '*') throw new Error(`reference-slots: ${schedule} is outside the subset`);
  const minute = f[0]!;
  const minuteStep = /^\*\/(\d+)$/.exec(minute)?.[1];
  if ((minuteStep ? Number(minuteStep) : Number(minute)) % 15 !== 0) throw new Error(`reference-slots: minute ${minute} is not a multiple of 15`);
  const dow = field(f[4]!, 'weekday', 0, 7);
  return {
    minutes: field(minute, 'minute', 0, 59),
    hours: field(f[1]!, 'hour', 0, 23),
    weekdays: (d) => dow(d) || (d === 0 && dow(7)),
    wildcardHour: f[1]!.startsWith('*'),
  };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock at `ms` in `tz`, as a naive timestamp (the wall fields read as if UTC). */
function wallOf(tz: string, ms: number): number {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
}

function matches(c: CronSubset, wall: number): boolean {
  const d = new Date(wall);
  return c.minutes(d.getUTCMinutes()) && c.hours(d.getUTCHours()) && c.weekdays(d.getUTCDay());
}

/** The slots of `schedule` in `tz` within [fromMs, toMs], ascending. */
export function referenceSlots(schedule: string, tz: string, fromMs: number, toMs: number): number[] {
  const c = parse(schedule);
  const out: number[] = [];
  const fire = (at: number) => {
    if (at >= fromMs && at <= toMs && out[out.length - 1] !== at) out.push(at);
  };
  const seen = new Set<number>();
  let prevWall: number | null = null;
  // start a few hours early, so the first occurrence of a wall time repeated around `fromMs` is known
  for (let t = Math.floor((fromMs - 3 * 3_600_000) / STEP_MS) * STEP_MS; t <= toMs; t += STEP_MS) {
    const wall = wallOf(tz, t);
    if (prevWall !== null && wall - prevWall > STEP_MS && !c.wildcardHour) {
      // a spring gap: the wall times between never happen; a fixed-hour job due in it fires now
      for (let w = prevWall + STEP_MS; w < wall; w += STEP_MS) {
        if (matches(c, w)) {
          fire(t);
          break;
        }
      }
    }
    if (matches(c, wall) && (c.wildcardHour || !seen.has(wall))) fire(t);
    seen.add(wall);
    prevWall = wall;
  }
  return out;
}
