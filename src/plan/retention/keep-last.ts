import type { RetentionItem, RuleResult } from './retention-item.js';

/** `keepLast N`: the N newest snapshots. */
export function keepLast(items: readonly RetentionItem[], n: number): RuleResult {
  const kept: number[] = [];
  for (let i = 0; i < Math.min(n, items.length); i++) kept.push(i);
  return { rule: 'keepLast', kept };
}
