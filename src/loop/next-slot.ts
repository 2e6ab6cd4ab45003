import type { Policy } from '../model/policy.js';
import { firstSlotAfter } from '../plan/slots.js';

/**
 * The first slot of (schedule, tz) strictly after `afterMs`, on the planner's slot definition
 * (src/plan/slots.ts: cron matches on the zone's wall clock, cronie's rule across DST), so the
 * loop wakes exactly when the planner starts to see a policy as due. Null when cron-parser
 * finds none (its date range ends).
 */
export function nextSlotAfter(schedule: string, tz: string, afterMs: number): number | null {
  try {
    return firstSlotAfter(schedule, tz, afterMs);
  } catch {
    return null; // an unparsable schedule never passed validation; it simply has no slot
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
