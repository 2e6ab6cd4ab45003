import type { Policy } from '../model/policy.js';
import { describeRetention } from './retention/apply-retention.js';
import { isoSeconds, latestSlotAtOrBefore, slotSnapshotName } from './slots.js';

/** What plan() computes once per policy, not once per domain. */
export interface PolicyContext {
  policy: Policy;
  /** The latest slot at or before now (ms), or null when the schedule has none. */
  slotMs: number | null;
  slotIso: string | null;
  /** The name the due snapshot gets. */
  snapshotName: string | null;
  /** `keepLast=3, keepDaily=7`. */
  rulesText: string;
  /** `not kept by keepLast=3, keepDaily=7`: one string shared by every delete of the policy. */
  deleteReason: string;
}

export function policyContext(policy: Policy, nowMs: number): PolicyContext {
  const slotMs = latestSlotAtOrBefore(policy.schedule, policy.timezone, nowMs);
  const rulesText = describeRetention(policy.retention);
  return {
    policy,
    slotMs,
    slotIso: slotMs === null ? null : isoSeconds(slotMs),
    snapshotName: slotMs === null ? null : slotSnapshotName(policy.name, slotMs),
    rulesText,
    deleteReason: `not kept by ${rulesText}`,
  };
}
