import type { PeriodName } from '../period-keys.js';
import type { RetentionItem, RuleName, RuleResult } from './retention-item.js';

/** The period rules, each with the calendar period it buckets by. */
export const PERIOD_RULES: ReadonlyArray<{ rule: RuleName; period: PeriodName }> = [
  { rule: 'keepHourly', period: 'hour' },
  { rule: 'keepDaily', period: 'day' },
  { rule: 'keepWeekly', period: 'week' },
  { rule: 'keepMonthly', period: 'month' },
  { rule: 'keepYearly', period: 'year' },
];

/**
 * `keepHourly/Daily/Weekly/Monthly/Yearly N`: the newest snapshot in each of the N most recent
 * periods that hold a snapshot; empty periods do not count. Keys were computed in the policy
 * time zone. A Set, not "key changed", because a DST change at midnight can revisit a day.
 */
export function keepPeriod(items: readonly RetentionItem[], rule: RuleName, period: PeriodName, n: number): RuleResult {
  const kept: number[] = [];
  if (n <= 0) return { rule, kept };
  const seen = new Set<number>();
  for (let i = 0; i < items.length && seen.size < n; i++) {
    const key = items[i]!.keys[period];
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(i);
  }
  return { rule, kept };
}
