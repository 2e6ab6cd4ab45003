import { CronExpressionParser } from 'cron-parser';
import type { Diagnostic } from '../../model/diagnostic.js';
import { describeValue } from '../../yaml/yaml-path.js';
import { field, type PolicyDocContext } from './doc-context.js';
import { isValidTimezone } from './timezone-rule.js';

/** Why a cron expression is unusable, or null when it has 5 fields and fires. */
export function cronProblem(expr: string, timezone: string): string | null {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `must have 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  }
  try {
    // parse with the policy's zone so zone-dependent problems show up here, not in the daemon
    const tz = isValidTimezone(timezone) ? timezone : 'UTC';
    CronExpressionParser.parse(expr, { tz, currentDate: new Date(Date.UTC(2000, 0, 1)) }).next();
    return null;
  } catch (err) {
    return `is not a valid cron expression: ${(err as Error).message}`;
  }
}

/** spec.schedule must be a 5-field cron that cron-parser accepts. */
export function checkSchedule(ctx: PolicyDocContext): Diagnostic[] {
  const expr = field(ctx.value.spec, 'schedule');
  if (typeof expr !== 'string') return [];
  const tz = field(ctx.value.spec, 'timezone');
  const problem = cronProblem(expr, typeof tz === 'string' ? tz : 'UTC');
  if (!problem) return [];
  return [ctx.doc.diagnostic(['spec', 'schedule'], 'value', `spec.schedule ${describeValue(expr)} ${problem}`)];
}
