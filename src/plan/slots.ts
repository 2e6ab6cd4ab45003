import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { toWall, tzOffset, wallInstants } from './tz.js';

/**
 * Schedule slots. A slot is an instant. The slots of (schedule, timezone) are the cron matches
 * on the zone's wall clock, mapped to instants by cronie's rule for daylight saving time
 * (cronie src/cron.c, the "DST begins" and "DST ends" cases of its main loop):
 * - a schedule whose hour field is a wildcard (`*`, `*\/2`: it starts with `*`) fires at every
 *   real instant whose wall time matches, so both occurrences of a repeated autumn hour fire,
 *   and a wall time inside a spring gap does not exist and does not fire;
 * - a schedule with fixed hours fires once for a repeated wall time (its first occurrence), and
 *   a wall time inside a spring gap fires at the first instant after the gap.
 * (cronie also counts a `*` minute field as a wildcard job; xensnap follows DESIGN.md, which
 * decides on the hour field alone: `* 2 * * *` is a job of the 02 hour and fires in it once.)
 * cron-parser runs in UTC over the naive wall timeline because its own `tz` mode answers
 * differently going backwards and forwards across DST changes.
 */
const MARGIN_MS = 3 * 3_600_000; // larger than any DST shift (≤ 2 h anywhere)

// Parsing costs more than stepping: keep one parsed expression per schedule, reset per use.
const parsedSchedules = new Map<string, CronExpression>();

function cronAt(schedule: string, wallMs: number): CronExpression {
  let it = parsedSchedules.get(schedule);
  if (!it) {
    it = CronExpressionParser.parse(schedule, { currentDate: new Date(wallMs), tz: 'UTC' });
    if (parsedSchedules.size > 1000) parsedSchedules.clear();
    parsedSchedules.set(schedule, it);
  } else it.reset(new Date(wallMs));
  return it;
}

/** Whether the schedule's hour field is a wildcard (starts with `*`), as cronie's HR_STAR. */
export function hasWildcardHour(schedule: string): boolean {
  return (schedule.trim().split(/\s+/)[1] ?? '').startsWith('*');
}

/** The instants one wall-clock match fires at, ascending (cronie's rule, above). */
export function instantsOfMatch(tz: string, wall: number, wildcardHour: boolean): number[] {
  const w = wallInstants(tz, wall);
  if (w.gapEnd !== null) return wildcardHour ? [] : [w.gapEnd];
  return wildcardHour ? w.instants : w.instants.slice(0, 1);
}

/** The latest slot at or before `nowMs`, or null when the schedule has none (cron-parser bounds). */
export function latestSlotAtOrBefore(schedule: string, tz: string, nowMs: number): number | null {
  const wild = hasWildcardHour(schedule);
  const wallNow = toWall(tz, nowMs);
  if (tzOffset(tz, nowMs - MARGIN_MS) === tzOffset(tz, nowMs + MARGIN_MS)) {
    // no offset change near now: the latest wall-clock match holds the answer (+1 ms: at or before)
    let w: number;
    try {
      w = cronAt(schedule, wallNow + 1).prev().getTime();
    } catch {
      return null;
    }
    const ok = instantsOfMatch(tz, w, wild).filter((s) => s <= nowMs);
    if (ok.length) return ok[ok.length - 1]!;
  }
  // A later wall time can map to an earlier instant near a DST change: walk wall-clock matches
  // backwards from a margin ahead of the wall clock, and keep the latest instant ≤ now.
  const it = cronAt(schedule, wallNow + MARGIN_MS + 1);
  let best: number | null = null;
  for (;;) {
    let w: number;
    try {
      w = it.prev().getTime();
    } catch {
      return best; // out of cron-parser's range
    }
    for (const s of instantsOfMatch(tz, w, wild)) if (s <= nowMs && (best === null || s > best)) best = s;
    if (best !== null && w < wallNow - MARGIN_MS) return best;
  }
}

/** The first slot strictly after `afterMs`, or null when the schedule has none. */
export function firstSlotAfter(schedule: string, tz: string, afterMs: number): number | null {
  const wild = hasWildcardHour(schedule);
  const wallAfter = toWall(tz, afterMs);
  if (tzOffset(tz, afterMs - MARGIN_MS) === tzOffset(tz, afterMs + MARGIN_MS)) {
    let w: number;
    try {
      w = cronAt(schedule, wallAfter).next().getTime();
    } catch {
      return null;
    }
    const ok = instantsOfMatch(tz, w, wild).filter((s) => s > afterMs);
    if (ok.length) return ok[0]!;
  }
  const it = cronAt(schedule, wallAfter - MARGIN_MS - 1);
  let best: number | null = null;
  for (;;) {
    let w: number;
    try {
      w = it.next().getTime();
    } catch {
      return best;
    }
    for (const s of instantsOfMatch(tz, w, wild)) if (s > afterMs && (best === null || s < best)) best = s;
    if (best !== null && w > wallAfter + MARGIN_MS) return best;
  }
}

/** Every slot in [fromMs, toMs], ascending, no duplicates. */
export function slotsBetween(schedule: string, tz: string, fromMs: number, toMs: number): number[] {
  const wild = hasWildcardHour(schedule);
  const it = cronAt(schedule, toWall(tz, fromMs) - MARGIN_MS - 1);
  const wallEnd = toWall(tz, toMs) + MARGIN_MS;
  const seen = new Set<number>();
  for (;;) {
    let w: number;
    try {
      w = it.next().getTime();
    } catch {
      break;
    }
    if (w > wallEnd) break;
    for (const s of instantsOfMatch(tz, w, wild)) if (s >= fromMs && s <= toMs) seen.add(s);
  }
  return [...seen].sort((a, b) => a - b);
}

/** `YYYYMMDDTHHMMSSZ` of an instant, in UTC: the stamp in policy snapshot names. */
export function slotStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The snapshot name a policy gives the snapshot filling `slotMs`. */
export function slotSnapshotName(policy: string, slotMs: number): string {
  return `${policy}-${slotStamp(slotMs)}`;
}

const isoMemo = new Map<number, string>();

/** ISO-8601 UTC without milliseconds, as slots are written in records and plans. */
export function isoSeconds(ms: number): string {
  let v = isoMemo.get(ms);
  if (v === undefined) {
    v = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (isoMemo.size > 100_000) isoMemo.clear(); // slots repeat across a fleet; bound the memo
    isoMemo.set(ms, v);
  }
  return v;
}
