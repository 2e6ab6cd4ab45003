import type { Policy, Retention } from '../model/policy.js';
import { formatDuration } from '../policy/duration.js';
import { textTable } from './text-table.js';

const RULES: [keyof Retention, string][] = [
  ['keepLast', 'last'],
  ['keepHourly', 'hourly'],
  ['keepDaily', 'daily'],
  ['keepWeekly', 'weekly'],
  ['keepMonthly', 'monthly'],
  ['keepYearly', 'yearly'],
];

/** `last=3 daily=7 within=2h`: the retention rules a policy sets. */
export function retentionSummary(r: Retention): string {
  const parts = RULES.filter(([k]) => r[k] !== undefined).map(([k, label]) => `${label}=${r[k]}`);
  if (r.keepWithinMs !== undefined) parts.push(`within=${formatDuration(r.keepWithinMs)}`);
  return parts.join(' ');
}

function selectorSummary(p: Policy): string {
  const s = p.selector;
  const parts = [...s.names, ...s.uuids];
  if (s.exclude.length) parts.push(`not ${s.exclude.join(',')}`);
  if (s.states.length < 3) parts.push(`[${s.states.join(',')}]`);
  return parts.join(' ');
}

/** The policies as a table: what each selects, when, how, and what it keeps. */
export function renderPolicyTable(policies: Policy[]): string {
  return textTable(
    ['POLICY', 'SELECTS', 'DISKS', 'SCHEDULE', 'TIMEZONE', 'MODE', 'TYPE', 'RETENTION', 'ON REMOVAL'],
    policies.map((p) => [
      p.name,
      selectorSummary(p),
      p.disks ? p.disks.join(',') : 'all',
      p.schedule,
      p.timezone,
      p.mode,
      p.type,
      retentionSummary(p.retention),
      p.deletionPolicy,
    ]),
  );
}
