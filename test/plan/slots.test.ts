import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoSeconds, latestSlotAtOrBefore, slotsBetween, slotSnapshotName } from '../../src/plan/slots.js';

const iso = (ms: number | null) => (ms === null ? null : isoSeconds(ms));
const at = (s: string) => Date.parse(s);

test('latest slot at or before now: exact on a slot, just before, just after', () => {
  assert.equal(iso(latestSlotAtOrBefore('0 * * * *', 'UTC', at('2026-11-26T04:00:00Z'))), '2026-11-26T04:00:00Z');
  assert.equal(iso(latestSlotAtOrBefore('0 * * * *', 'UTC', at('2026-11-26T03:59:59.999Z'))), '2026-11-26T03:00:00Z');
  assert.equal(iso(latestSlotAtOrBefore('0 * * * *', 'UTC', at('2026-11-26T04:00:00.001Z'))), '2026-11-26T04:00:00Z');
  assert.equal(iso(latestSlotAtOrBefore('0 4 * * 1', 'UTC', at('2026-11-26T04:00:00Z'))), '2026-11-23T04:00:00Z');
  assert.equal(iso(latestSlotAtOrBefore('*/15 * * * *', 'UTC', at('2026-11-26T04:44:59Z'))), '2026-11-26T04:30:00Z');
});

test('slots follow the policy time zone', () => {
  // 02:30 in Paris in winter is 01:30Z
  assert.equal(iso(latestSlotAtOrBefore('30 2 * * *', 'Europe/Paris', at('2026-11-26T04:00:00Z'))), '2026-11-26T01:30:00Z');
  assert.equal(slotSnapshotName('web-daily', at('2026-11-26T01:30:00Z')), 'web-daily-20261126T013000Z');
});

const dstCases = [
  // Paris: spring 2026-03-29 02:00 CET → 03:00 CEST (01:00Z); autumn 2026-10-25 03:00 CEST → 02:00 CET (01:00Z)
  {
    name: 'Paris spring, hourly: the missing 02:00 is not invented twice',
    schedule: '0 * * * *', tz: 'Europe/Paris', from: '2026-03-28T23:00:00Z', to: '2026-03-29T03:00:00Z',
    want: ['2026-03-28T23:00:00Z', '2026-03-29T00:00:00Z', '2026-03-29T01:00:00Z', '2026-03-29T02:00:00Z', '2026-03-29T03:00:00Z'],
  },
  {
    name: 'Paris spring, daily 02:30 (in the gap): fires once, at the first instant after it, 03:00 CEST (01:00Z)',
    schedule: '30 2 * * *', tz: 'Europe/Paris', from: '2026-03-27T00:00:00Z', to: '2026-03-31T00:00:00Z',
    want: ['2026-03-27T01:30:00Z', '2026-03-28T01:30:00Z', '2026-03-29T01:00:00Z', '2026-03-30T00:30:00Z'],
  },
  {
    name: 'Paris autumn, hourly (wildcard hour): both 02:00s fire, CEST (00:00Z) and CET (01:00Z)',
    schedule: '0 * * * *', tz: 'Europe/Paris', from: '2026-10-24T23:00:00Z', to: '2026-10-25T03:00:00Z',
    want: ['2026-10-24T23:00:00Z', '2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z', '2026-10-25T03:00:00Z'],
  },
  {
    name: 'Paris autumn, daily 02:30: once, not twice',
    schedule: '30 2 * * *', tz: 'Europe/Paris', from: '2026-10-23T00:00:00Z', to: '2026-10-27T00:00:00Z',
    want: ['2026-10-23T00:30:00Z', '2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
  },
  // New York: spring 2026-03-08 02:00 EST → 03:00 EDT (07:00Z); autumn 2026-11-01 02:00 EDT → 01:00 EST (06:00Z)
  {
    name: 'New York spring, hourly',
    schedule: '0 * * * *', tz: 'America/New_York', from: '2026-03-08T05:00:00Z', to: '2026-03-08T09:00:00Z',
    want: ['2026-03-08T05:00:00Z', '2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z', '2026-03-08T08:00:00Z', '2026-03-08T09:00:00Z'],
  },
  {
    name: 'New York spring, daily 02:30 (in the gap): once, at 03:00 EDT',
    schedule: '30 2 * * *', tz: 'America/New_York', from: '2026-03-07T00:00:00Z', to: '2026-03-10T00:00:00Z',
    want: ['2026-03-07T07:30:00Z', '2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z'],
  },
  {
    name: 'New York autumn, hourly (wildcard hour): the repeated 01:00 twice, EDT and EST',
    schedule: '0 * * * *', tz: 'America/New_York', from: '2026-11-01T04:00:00Z', to: '2026-11-01T08:00:00Z',
    want: ['2026-11-01T04:00:00Z', '2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00Z', '2026-11-01T08:00:00Z'],
  },
  {
    name: 'New York autumn, daily 01:30: once',
    schedule: '30 1 * * *', tz: 'America/New_York', from: '2026-10-31T00:00:00Z', to: '2026-11-03T00:00:00Z',
    want: ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
  },
  {
    name: 'New York autumn, daily 02:30 (after the repeated hour): once',
    schedule: '30 2 * * *', tz: 'America/New_York', from: '2026-10-31T00:00:00Z', to: '2026-11-03T00:00:00Z',
    want: ['2026-10-31T06:30:00Z', '2026-11-01T07:30:00Z', '2026-11-02T07:30:00Z'],
  },
];

for (const c of dstCases) {
  test(`DST: ${c.name}`, () => {
    const got = slotsBetween(c.schedule, c.tz, at(c.from), at(c.to)).map((s) => isoSeconds(s));
    assert.deepEqual(got, c.want);
    // every minute across the span, "latest slot at or before now" agrees with the slot list:
    // no slot is returned that the list lacks (no duplicate), none in the list is passed over (no skip)
    const all = slotsBetween(c.schedule, c.tz, at(c.from) - 7 * 86_400_000, at(c.to)).map((s) => isoSeconds(s));
    const returned = new Set<string>();
    for (let t = at(c.from); t <= at(c.to); t += 60_000) {
      const s = iso(latestSlotAtOrBefore(c.schedule, c.tz, t))!;
      const expected = all.filter((x) => at(x) <= t).pop();
      assert.equal(s, expected, `now ${isoSeconds(t)}`);
      returned.add(s);
    }
    for (const w of c.want) assert.ok(returned.has(w), `slot ${w} was never the latest`);
  });
}

test('a full year of hourly slots in Paris: 8760 distinct names, one per real hour', () => {
  const slots = slotsBetween('0 * * * *', 'Europe/Paris', at('2026-01-01T00:00:00Z'), at('2026-12-31T23:59:59Z'));
  const names = new Set(slots.map((s) => slotSnapshotName('p', s)));
  assert.equal(names.size, slots.length);
  // every real hour fires (cronie): the spring day has 23, the autumn day 25 (02:00 twice)
  assert.equal(slots.length, 8760);
});
