import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { fromWall, toWall, tzOffset } from './tz.js';

/**
 * Schedule slots. A slot is an instant; the set of slots of (schedule, timezone) is the image,
 * under `fromWall`, of the cron matches on the zone's wall clock. cron-parser is run in UTC
 * over that naive wall timeline because its own `tz` mode answers differently going backwards
 * and forwards across DST changes (prev() skips a spring 02:30 and repeats an autumn 02:30 that
 * next() fires once). On this definition every wall-clock match fires exactly once: spring gaps
 * fire shifted by the gap, repeated autumn hours fire on their first occurrence only.
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

/** The latest slot at or before `nowMs`, or null when the schedule has none (cron-parser bounds). */
export function latestSlotAtOrBefore(schedule: string, tz: string, nowMs: number): number | null {
  const wallNow = toWall(tz, nowMs);
  if (tzOffset(tz, nowMs - MARGIN_MS) === tzOffset(tz, nowMs + MARGIN_MS)) {
    // no offset change near now: the latest wall-clock match is the answer (+1 ms: at or before)
    try {
      return fromWall(tz, cronAt(schedule, wallNow + 1).prev().getTime());
    } catch {
      return null;
    }
  }
  // near a DST change a later wall time can map to an earlier instant: walk wall-clock
  // matches backwards from MARGIN ahead of the wall clock and keep the latest instant ≤ now
  const it = cronAt(schedule, wallNow + MARGIN_MS + 1);
  let best: number | null = null;
  for (;;) {
    let w: number;
    try {
      w = it.prev().getTime();
    } catch {
      return best; // out of cron-parser's range
    }
    const s = fromWall(tz, w);
    if (s <= nowMs && (best === null || s > best)) best = s;
    if (best !== null && w < wallNow - MARGIN_MS) return best;
  }
}

/** Every slot in [fromMs, toMs], ascending, no duplicates. */
export function slotsBetween(schedule: string, tz: string, fromMs: number, toMs: number): number[] {
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
    const s = fromWall(tz, w);
    if (s >= fromMs && s <= toMs) seen.add(s);
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
