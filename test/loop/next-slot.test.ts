import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextSlotAfter, earliestNextSlot } from '../../src/loop/next-slot.js';
import { computeNextWake } from '../../src/loop/next-wake.js';
import { slotsBetween } from '../../src/plan/slots.js';
import { testPolicy } from './helpers.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function walk(schedule: string, tz: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    t = nextSlotAfter(schedule, tz, t)!;
    out.push(iso(t)!);
  }
  return out;
}

test('slot boundaries: strictly after, exact to the millisecond', () => {
  assert.equal(iso(nextSlotAfter('0 * * * *', 'UTC', Date.parse('2026-03-10T10:59:59.999Z'))), '2026-03-10T11:00:00.000Z');
  assert.equal(iso(nextSlotAfter('0 * * * *', 'UTC', Date.parse('2026-03-10T11:00:00.000Z'))), '2026-03-10T12:00:00.000Z');
  assert.equal(iso(nextSlotAfter('*/15 * * * *', 'UTC', Date.parse('2026-03-10T11:14:59.000Z'))), '2026-03-10T11:15:00.000Z');
  assert.equal(iso(nextSlotAfter('0 0 1 1 *', 'America/New_York', Date.parse('2026-06-01T00:00:00Z'))), '2027-01-01T05:00:00.000Z');
});

test('DST in Europe/Paris (cronie): a fixed hour in the gap fires after it, once when repeated; a wildcard hour fires in both repeated hours', () => {
  assert.deepEqual(walk('30 2 * * *', 'Europe/Paris', '2026-03-28T12:00:00Z', 3), ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  assert.deepEqual(walk('30 2 * * *', 'Europe/Paris', '2026-10-24T12:00:00Z', 2), ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  assert.deepEqual(walk('0 * * * *', 'Europe/Paris', '2026-10-24T22:30:00Z', 4), ['2026-10-24T23:00:00.000Z', '2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
  assert.deepEqual(walk('0 * * * *', 'Europe/Paris', '2026-03-28T23:30:00Z', 3), ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
});

test('nextSlotAfter agrees with the planner slots over both 2026 DST changes', () => {
  for (const [schedule, from, to] of [
    ['*/20 * * * *', '2026-03-28T20:00:00Z', '2026-03-29T06:00:00Z'],
    ['*/20 * * * *', '2026-10-24T20:00:00Z', '2026-10-25T06:00:00Z'],
    ['30 1-3 * * *', '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
    ['30 1-3 * * *', '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
  ] as const) {
    const a = Date.parse(from);
    const b = Date.parse(to);
    const expected = slotsBetween(schedule, 'Europe/Paris', a + 1, b);
    const got: number[] = [];
    for (let t = nextSlotAfter(schedule, 'Europe/Paris', a)!; t <= b; t = nextSlotAfter(schedule, 'Europe/Paris', t)!) got.push(t);
    assert.deepEqual(got.map(iso), expected.map(iso), schedule + ' ' + from);
    assert.ok(got.length > 10);
  }
});

test('earliestNextSlot picks the first over policies in their own zones', () => {
  const ps = [testPolicy('tokyo', '0 9 * * *', 'Asia/Tokyo'), testPolicy('paris', '0 9 * * *', 'Europe/Paris'), testPolicy('ny', '0 9 * * *', 'America/New_York')];
  assert.deepEqual(earliestNextSlot(ps, Date.parse('2026-07-01T01:00:00Z')), { atMs: Date.parse('2026-07-01T07:00:00Z'), policy: 'paris' });
  assert.deepEqual(earliestNextSlot(ps, Date.parse('2026-07-01T07:00:00Z')), { atMs: Date.parse('2026-07-01T13:00:00Z'), policy: 'ny' });
  assert.equal(earliestNextSlot([], 0), null);
});

test('next wake: a slot before the resync deadline, else the resync', () => {
  const p = [testPolicy('h', '0 * * * *')];
  const base = { policies: p, lastRunNowMs: Date.parse('2026-03-10T10:10:00Z'), lastRunEndMs: Date.parse('2026-03-10T10:10:05Z') };
  assert.deepEqual(computeNextWake({ ...base, resyncIntervalMs: 3_600_000 }), { atMs: Date.parse('2026-03-10T11:00:00Z'), reason: 'slot', policy: 'h' });
  assert.deepEqual(computeNextWake({ ...base, resyncIntervalMs: 15 * 60_000 }), { atMs: Date.parse('2026-03-10T10:25:05Z'), reason: 'resync', policy: null });
  assert.deepEqual(computeNextWake({ ...base, policies: [], resyncIntervalMs: 60_000 }), { atMs: Date.parse('2026-03-10T10:11:05Z'), reason: 'resync', policy: null });
});
