import type { Diagnostic } from '../../model/diagnostic.js';
import { describeValue } from '../../yaml/yaml-path.js';
import { DURATION_RE, MAX_DURATION_MS, parseDuration } from '../duration.js';
import { field, type PolicyDocContext } from './doc-context.js';

export const COUNT_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
const ALL_RULES = [...COUNT_RULES, 'keepWithin'];

/**
 * A policy must keep something: at least one retention rule, and not every rule zero.
 * keepWithin must be at most 10 years (the schema already checked its shape).
 */
export function checkRetention(ctx: PolicyDocContext): Diagnostic[] {
  const r = field(ctx.value.spec, 'retention');
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return [];
  const out: Diagnostic[] = [];
  const within = field(r, 'keepWithin');
  let withinMs: number | null = null;
  if (typeof within === 'string' && DURATION_RE.test(within)) {
    withinMs = parseDuration(within);
    if (withinMs === null || withinMs > MAX_DURATION_MS) {
      out.push(
        ctx.doc.diagnostic(
          ['spec', 'retention', 'keepWithin'],
          'value',
          `spec.retention.keepWithin ${describeValue(within)} is longer than the maximum of 10 years (3650d)`,
        ),
      );
    }
  }
  const present = ALL_RULES.filter((k) => field(r, k) !== undefined);
  if (present.length === 0) {
    out.push(
      ctx.doc.diagnostic(['spec', 'retention'], 'node', `spec.retention has no rule; set at least one of ${ALL_RULES.join(', ')}`),
    );
    return out;
  }
  const counts = COUNT_RULES.map((k) => field(r, k)).filter((v) => v !== undefined);
  const allZero = counts.every((v) => v === 0) && (within === undefined || withinMs === 0);
  if (allZero) {
    out.push(ctx.doc.diagnostic(['spec', 'retention'], 'node', 'spec.retention keeps nothing: every rule is 0'));
  }
  return out;
}
