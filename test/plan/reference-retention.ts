// An independent, slow reference for retention: period labels straight from Intl, ISO weeks by
// the textbook algorithm, each rule written out plainly. Property tests compare the planner to it.
import type { Retention } from '../../src/model/policy.js';

const formats = new Map<string, Intl.DateTimeFormat>();

function localParts(tz: string, ms: number): { y: number; m: number; d: number; h: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });
    formats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour) };
}

function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const dow = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - dow + 3); // the Thursday of this week decides the year
  const weekYear = date.getUTCFullYear();
  const jan4 = new Date(Date.UTC(weekYear, 0, 4));
  const week = 1 + Math.round(((date.getTime() - jan4.getTime()) / 86_400_000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${weekYear}-W${week}`;
}

export function referenceLabels(tz: string, ms: number): Record<'hour' | 'day' | 'week' | 'month' | 'year', string> {
  const { y, m, d, h } = localParts(tz, ms);
  return { hour: `${y}-${m}-${d} ${h}`, day: `${y}-${m}-${d}`, week: isoWeek(y, m, d), month: `${y}-${m}`, year: `${y}` };
}

/** Times kept (any order in, a Set out) by the union of the rules. */
export function referenceKept(times: number[], tz: string, r: Retention): Set<number> {
  const sorted = [...times].sort((a, b) => b - a);
  const keep = new Set<number>();
  const labels = new Map(sorted.map((t) => [t, referenceLabels(tz, t)]));
  if (r.keepLast) sorted.slice(0, r.keepLast).forEach((t) => keep.add(t));
  const periods: Array<[number | undefined, 'hour' | 'day' | 'week' | 'month' | 'year']> = [
    [r.keepHourly, 'hour'], [r.keepDaily, 'day'], [r.keepWeekly, 'week'], [r.keepMonthly, 'month'], [r.keepYearly, 'year'],
  ];
  for (const [n, period] of periods) {
    if (!n) continue;
    const seen: string[] = [];
    for (const t of sorted) {
      const label = labels.get(t)![period];
      if (seen.includes(label)) continue;
      if (seen.length === n) break;
      seen.push(label);
      keep.add(t);
    }
  }
  if (r.keepWithinMs && sorted.length) for (const t of sorted) if (sorted[0]! - t < r.keepWithinMs) keep.add(t);
  return keep;
}
