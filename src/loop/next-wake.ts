import type { Policy } from '../model/policy.js';
import { earliestNextSlot } from './next-slot.js';

/** When the loop wakes next on its own, and why. `atMs` is never before `nowMs`'s last run. */
export interface NextWake {
  atMs: number;
  reason: 'slot' | 'resync';
  /** The policy whose slot it is (reason `slot`). */
  policy: string | null;
}

/**
 * The one timer of the loop: the earliest of the next slot of any policy in force (after the
 * `now` of the last run, so a slot that passed during a run wakes at once) and the resync
 * deadline (last run's end + interval).
 */
export function computeNextWake(opts: { policies: Policy[]; lastRunNowMs: number; lastRunEndMs: number; resyncIntervalMs: number }): NextWake {
  const resync: NextWake = { atMs: opts.lastRunEndMs + opts.resyncIntervalMs, reason: 'resync', policy: null };
  const slot = earliestNextSlot(opts.policies, opts.lastRunNowMs);
  if (slot && slot.atMs <= resync.atMs) return { atMs: slot.atMs, reason: 'slot', policy: slot.policy };
  return resync;
}
