import { toWall } from './tz.js';

/**
 * Calendar period keys of one instant in a policy's time zone. Each key is a whole number that
 * is equal for two instants exactly when they fall in the same local period: hour, day, ISO
 * week (Monday first, ISO week-numbering year) and month; the year key is the calendar year.
 */
export interface PeriodKeys {
  hour: number;
  day: number;
  week: number;
  month: number;
  year: number;
}

export type PeriodName = keyof PeriodKeys;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// Memo per zone: the same slot recurs on every domain of a fleet.
const memo = new Map<string, Map<number, PeriodKeys>>();

function compute(tz: string, ms: number): PeriodKeys {
  const wall = toWall(tz, ms);
  const day = Math.floor(wall / DAY_MS);
  const d = new Date(day * DAY_MS);
  const year = d.getUTCFullYear();
  const month = year * 12 + d.getUTCMonth();
  // ISO week: days since the Monday of week 1 of 1970's ISO year (1969-12-29 is a Monday)
  const week = Math.floor((day + 3) / 7);
  return { hour: Math.floor(wall / HOUR_MS), day, week, month, year };
}

/** Period keys of instant `ms` in time zone `tz`. */
export function periodKeys(tz: string, ms: number): PeriodKeys {
  let m = memo.get(tz);
  if (!m) {
    m = new Map();
    memo.set(tz, m);
  }
  let k = m.get(ms);
  if (!k) {
    k = compute(tz, ms);
    if (m.size > 1_000_000) m.clear(); // bound the memo on long-running daemons
    m.set(ms, k);
  }
  return k;
}
