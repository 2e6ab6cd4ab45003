import type { RetentionItem, RuleResult } from './retention-item.js';

/**
 * `keepWithin D`: every snapshot younger than D, measured back from the newest snapshot (not
 * from now, so a host that stopped taking snapshots does not lose them all): kept when
 * `newest − time < D`, strictly.
 */
export function keepWithin(items: readonly RetentionItem[], withinMs: number): RuleResult {
  const kept: number[] = [];
  if (items.length === 0 || withinMs <= 0) return { rule: 'keepWithin', kept };
  const newest = items[0]!.timeMs;
  for (let i = 0; i < items.length; i++) {
    if (newest - items[i]!.timeMs < withinMs) kept.push(i);
    else break; // newest first: everything after is older still
  }
  return { rule: 'keepWithin', kept };
}
