import { CronExpressionParser } from 'cron-parser';
import type { Policy } from '../model/policy.js';
import { fromWall, toWall } from '../plan/tz.js';

const MARGIN_MS = 3 * 3_600_000; // larger than any DST shift

/**
 * The first slot of (schedule, tz) strictly after `afterMs`, on the planner's slot definition
 * (src/plan/slots.ts: cron matches on the zone's wall clock mapped through fromWall), so the
 * loop wakes exactly when the planner starts to see a policy as due. Null when cron-parser
 * finds none (its date range ends).
 */
export function nextSlotAfter(schedule: string, tz: string, afterMs: number): number | null {
  const wallStart = toWall(tz, afterMs) - MARGIN_MS;
  let it;
  try {
    it = CronExpressionParser.parse(schedule, { currentDate: new Date(wallStart), tz: 'UTC' });
  } catch {
    return null;
  }
  let best: number | null = null;
  let firstHitWall: number | null = null;
  for (;;) {
    let w: number;
    try {
      w = it.next().getTime();
    } catch {
      return best;
    }
    // around a DST change wall order and instant order differ by at most the shift: look a
    // margin past the first wall match after the instant before settling
    if (firstHitWall !== null && w > firstHitWall + MARGIN_MS) return best;
    const s = fromWall(tz, w);
    if (s > afterMs) {
      if (best === null || s < best) best = s;
      if (firstHitWall === null) firstHitWall = w;
    }
  }
}

/** The earliest next slot over all policies, with the policy that has it; null when none has one. */
export function earliestNextSlot(policies: Policy[], afterMs: number): { atMs: number; policy: string } | null {
  let best: { atMs: number; policy: string } | null = null;
  for (const p of policies) {
    const s = nextSlotAfter(p.schedule, p.timezone, afterMs);
    if (s !== null && (best === null || s < best.atMs)) best = { atMs: s, policy: p.name };
  }
  return best;
}
