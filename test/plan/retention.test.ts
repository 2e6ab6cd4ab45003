import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Retention } from '../../src/model/policy.js';
import { periodKeys } from '../../src/plan/period-keys.js';
import { applyRetention, describeRetention } from '../../src/plan/retention/apply-retention.js';

/** Runs the union over ISO times (any order) in `tz`; returns the kept ISO times, newest first, with their rules. */
function kept(times: string[], retention: Retention, tz = 'UTC'): string[] {
  const sorted = [...times].sort((a, b) => Date.parse(b) - Date.parse(a));
  const items = sorted.map((t) => ({ timeMs: Date.parse(t), keys: periodKeys(tz, Date.parse(t)) }));
  const rules = applyRetention(items, retention);
  return sorted.flatMap((t, i) => (rules[i]?.length ? [`${t} ${rules[i]!.join('+')}`] : []));
}

const hours = (day: string, hs: number[]) => hs.map((h) => `${day}T${String(h).padStart(2, '0')}:00:00Z`);

const cases: Array<{ name: string; times: string[]; retention: Retention; tz?: string; want: string[] }> = [
  {
    name: 'keepLast 2 keeps the two newest',
    times: hours('2026-11-26', [1, 2, 3, 4]),
    retention: { keepLast: 2 },
    want: ['2026-11-26T04:00:00Z keepLast', '2026-11-26T03:00:00Z keepLast'],
  },
  {
    name: 'keepLast larger than the list keeps all',
    times: hours('2026-11-26', [1, 2]),
    retention: { keepLast: 5 },
    want: ['2026-11-26T02:00:00Z keepLast', '2026-11-26T01:00:00Z keepLast'],
  },
  {
    name: 'keepLast 0 keeps nothing',
    times: hours('2026-11-26', [1, 2]),
    retention: { keepLast: 0 },
    want: [],
  },
  {
    name: 'keepDaily keeps the newest of each of the N most recent days that hold a snapshot',
    times: [...hours('2026-11-20', [6, 18]), ...hours('2026-11-23', [1, 5]), ...hours('2026-11-26', [2, 3])],
    retention: { keepDaily: 2 },
    want: ['2026-11-26T03:00:00Z keepDaily', '2026-11-23T05:00:00Z keepDaily'],
  },
  {
    name: 'keepDaily counts days in the policy time zone',
    // 23:30Z on the 25th is already the 26th in Paris (UTC+1): one Paris day, not two
    times: ['2026-11-25T23:30:00Z', '2026-11-26T10:00:00Z', '2026-11-25T12:00:00Z'],
    retention: { keepDaily: 2 },
    tz: 'Europe/Paris',
    want: ['2026-11-26T10:00:00Z keepDaily', '2026-11-25T12:00:00Z keepDaily'],
  },
  {
    name: 'the same times in UTC make three days',
    times: ['2026-11-25T23:30:00Z', '2026-11-26T10:00:00Z', '2026-11-25T12:00:00Z'],
    retention: { keepDaily: 2 },
    want: ['2026-11-26T10:00:00Z keepDaily', '2026-11-25T23:30:00Z keepDaily'],
  },
  {
    name: 'keepWeekly uses ISO weeks, Monday first (2026-11-22 is a Sunday)',
    times: ['2026-11-21T12:00:00Z', '2026-11-22T12:00:00Z', '2026-11-23T12:00:00Z', '2026-11-24T12:00:00Z', '2026-11-15T12:00:00Z'],
    retention: { keepWeekly: 2 },
    want: ['2026-11-24T12:00:00Z keepWeekly', '2026-11-22T12:00:00Z keepWeekly'],
  },
  {
    name: 'keepWeekly across a year boundary: 2026-12-31 (Thu) and 2027-01-03 (Sun) share ISO week 53',
    times: ['2026-12-28T00:00:00Z', '2026-12-31T00:00:00Z', '2027-01-03T00:00:00Z', '2027-01-04T00:00:00Z'],
    retention: { keepWeekly: 3 },
    want: ['2027-01-04T00:00:00Z keepWeekly', '2027-01-03T00:00:00Z keepWeekly'],
  },
  {
    name: 'keepMonthly',
    times: ['2026-09-30T23:00:00Z', '2026-10-01T00:00:00Z', '2026-10-31T00:00:00Z', '2026-11-02T00:00:00Z'],
    retention: { keepMonthly: 2 },
    want: ['2026-11-02T00:00:00Z keepMonthly', '2026-10-31T00:00:00Z keepMonthly'],
  },
  {
    name: 'keepMonthly in New York: 2026-11-01T03:00Z is still October there',
    times: ['2026-11-01T03:00:00Z', '2026-11-01T05:00:00Z', '2026-10-15T00:00:00Z'],
    retention: { keepMonthly: 2 },
    tz: 'America/New_York',
    want: ['2026-11-01T05:00:00Z keepMonthly', '2026-11-01T03:00:00Z keepMonthly'],
  },
  {
    name: 'keepYearly skips years with no snapshot',
    times: ['2022-05-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-12-31T00:00:00Z', '2026-03-01T00:00:00Z'],
    retention: { keepYearly: 2 },
    want: ['2026-03-01T00:00:00Z keepYearly', '2024-12-31T00:00:00Z keepYearly'],
  },
  {
    name: 'keepHourly',
    times: ['2026-11-26T04:10:00Z', '2026-11-26T04:40:00Z', '2026-11-26T03:59:00Z', '2026-11-26T01:00:00Z'],
    retention: { keepHourly: 3 },
    want: ['2026-11-26T04:40:00Z keepHourly', '2026-11-26T03:59:00Z keepHourly', '2026-11-26T01:00:00Z keepHourly'],
  },
  {
    name: 'keepWithin is measured from the newest snapshot, strictly younger',
    times: hours('2026-11-26', [0, 1, 2, 3, 4]),
    retention: { keepWithinMs: 2 * 3_600_000 },
    want: ['2026-11-26T04:00:00Z keepWithin', '2026-11-26T03:00:00Z keepWithin'],
  },
  {
    name: 'union: each snapshot lists every rule that keeps it',
    times: [...hours('2026-11-24', [12, 20]), ...hours('2026-11-25', [8, 22]), ...hours('2026-11-26', [1, 2, 3])],
    retention: { keepLast: 2, keepDaily: 3, keepWithinMs: 90 * 60_000 },
    want: [
      '2026-11-26T03:00:00Z keepLast+keepDaily+keepWithin',
      '2026-11-26T02:00:00Z keepLast+keepWithin',
      '2026-11-25T22:00:00Z keepDaily',
      '2026-11-24T20:00:00Z keepDaily',
    ],
  },
];

for (const c of cases) {
  test(`retention: ${c.name}`, () => {
    assert.deepEqual(kept(c.times, c.retention, c.tz), c.want);
  });
}

test('retention: autumn DST in Paris: the repeated 02:00 hour is one hourly period', () => {
  // 00:30Z is 02:30 CEST, 01:30Z is 02:30 CET: the same local hour
  const times = ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T02:30:00Z'];
  assert.deepEqual(kept(times, { keepHourly: 5 }, 'Europe/Paris'), ['2026-10-25T02:30:00Z keepHourly', '2026-10-25T01:30:00Z keepHourly']);
});

test('describeRetention names the rules in a fixed order', () => {
  assert.equal(
    describeRetention({ keepWithinMs: 5_400_000, keepDaily: 7, keepLast: 3, keepYearly: 0 }),
    'keepLast=3, keepDaily=7, keepYearly=0, keepWithin=90m', // as the policy language writes it (policy/duration.ts)
  );
});
