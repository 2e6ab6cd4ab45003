import type { PeriodKeys } from '../period-keys.js';

/**
 * One managed snapshot as retention sees it. Lists of items given to a rule are always sorted
 * newest first by `timeMs` (the slot, else the creation time), ties broken by name.
 */
export interface RetentionItem {
  timeMs: number;
  keys: PeriodKeys;
}

/** What one rule keeps: indexes into the newest-first list it was given. */
export interface RuleResult {
  rule: RuleName;
  kept: number[];
}

export type RuleName = 'keepLast' | 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly' | 'keepWithin';
