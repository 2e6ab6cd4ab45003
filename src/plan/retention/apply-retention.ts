import type { Retention } from '../../model/policy.js';
import { keepLast } from './keep-last.js';
import { keepPeriod, PERIOD_RULES } from './keep-period.js';
import { keepWithin } from './keep-within.js';
import type { RetentionItem, RuleName } from './retention-item.js';
import { formatDuration } from '../../policy/duration.js';

/** Bit of each rule in a keep mask, in the canonical order. */
export const RULE_BITS: ReadonlyArray<RuleName> = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin'];

/**
 * The union of a policy's retention rules over one (policy, domain)'s snapshots, newest first,
 * as one mask per item: bit k set when rule RULE_BITS[k] keeps it; 0 means no rule does.
 * Masks, not arrays: a fleet has a million items.
 */
export function retentionMasks(items: readonly RetentionItem[], retention: Retention): Uint8Array {
  const masks = new Uint8Array(items.length);
  const mark = (res: { rule: RuleName; kept: number[] }): void => {
    const bit = 1 << RULE_BITS.indexOf(res.rule);
    for (const i of res.kept) masks[i]! |= bit;
  };
  if (retention.keepLast !== undefined) mark(keepLast(items, retention.keepLast));
  for (const { rule, period } of PERIOD_RULES) {
    const n = retention[rule as keyof Retention];
    if (n !== undefined) mark(keepPeriod(items, rule, period, n));
  }
  if (retention.keepWithinMs !== undefined) mark(keepWithin(items, retention.keepWithinMs));
  return masks;
}

/** The rule names of a mask, in the canonical order. */
export function maskRules(mask: number): RuleName[] {
  return RULE_BITS.filter((_, k) => (mask & (1 << k)) !== 0);
}

/** retentionMasks as rule-name lists; undefined where no rule keeps the item. */
export function applyRetention(items: readonly RetentionItem[], retention: Retention): Array<RuleName[] | undefined> {
  return Array.from(retentionMasks(items, retention), (m) => (m ? maskRules(m) : undefined));
}

/** `keepLast=3, keepDaily=7, keepWithin=2h`: the configured rules, as delete reasons name them. */
export function describeRetention(retention: Retention): string {
  const parts: string[] = [];
  if (retention.keepLast !== undefined) parts.push(`keepLast=${retention.keepLast}`);
  for (const { rule } of PERIOD_RULES) {
    const n = retention[rule as keyof Retention];
    if (n !== undefined) parts.push(`${rule}=${n}`);
  }
  if (retention.keepWithinMs !== undefined) parts.push(`keepWithin=${formatDuration(retention.keepWithinMs)}`);
  return parts.join(', ');
}

