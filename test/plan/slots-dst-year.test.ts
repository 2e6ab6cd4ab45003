// Sanoid's way of testing DST: simulate a whole year and count every slot, in zones around the
// world, against an independent reference of cronie's rules (reference-cron-dst.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstSlotAfter, isoSeconds, latestSlotAtOrBefore, slotsBetween, slotSnapshotName } from '../../src/plan/slots.js';
import { referenceOffsetMinutes, referenceSlots } from './reference-cron-dst.js';

const YEAR_FROM = Date.parse('2026-01-01T00:00:00Z');
const YEAR_TO = Date.parse('2026-12-31T23:59:59Z');

const ZONES = [
  'UTC',
  'Europe/Paris', // 02:00 → 03:00 and back, at 01:00Z
  'Europe/London', // 01:00 → 02:00
  'America/New_York', // 02:00 → 03:00 local
  'America/St_Johns', // −03:30 / −02:30
  'America/Santiago', // at midnight: 24:00 → 01:00 in September, 24:00 → 23:00 in April
  'Australia/Sydney', // southern: forward in October, back in April
  'Australia/Lord_Howe', // a 30-minute shift
  'Pacific/Chatham', // +12:45 / +13:45, at 02:45
  'Asia/Kolkata', // no DST
];
const SCHEDULES = ['0 * * * *', '30 * * * *', '45 */3 * * *', '30 2 * * *', '0 0 * * *', '15 1-3 * * *', '0 2 * * 0'];
/** Costlier schedules (tens of thousands of slots a year), where they tell something. */
const EXTRA: Record<string, string[]> = {
  UTC: ['* 2 * * *'],
  'Europe/Paris': ['* 2 * * *'], // the whole 02 hour falls in the spring gap
  'America/New_York': ['* 2 * * *'],
  'America/St_Johns': ['*/20 * * * *'], // half-hour offset
  'Australia/Lord_Howe': ['*/20 * * * *'], // half-hour shift
  'Pacific/Chatham': ['*/20 * * * *'], // 45-minute offset, change at 02:45
};

/** Hand-counted slot totals for 2026: the numbers an operator would check sanoid-style. */
const EXPECTED_COUNTS: Record<string, Record<string, number>> = {
  // every real hour fires: a 23-hour day and a 25-hour day cancel out
  '0 * * * *': { UTC: 8760, 'Europe/Paris': 8760, 'Europe/London': 8760, 'America/New_York': 8760, 'Australia/Sydney': 8760, 'America/Santiago': 8760, 'Asia/Kolkata': 8760,
    // 02:00 does not exist on the spring day, and the repeated half hour (01:30-01:59) holds no :00
    'Australia/Lord_Howe': 8759 },
  // Lord Howe: 01:30 happens twice in April and 02:30 exists in October
  '30 * * * *': { 'Europe/Paris': 8760, 'Australia/Lord_Howe': 8761 },
  // a fixed-hour daily job fires once every day, whatever DST does to its hour
  '30 2 * * *': { UTC: 365, 'Europe/Paris': 365, 'America/New_York': 365, 'Australia/Sydney': 365, 'Australia/Lord_Howe': 365, 'Pacific/Chatham': 365 },
  '0 0 * * *': { 'America/Santiago': 365, 'Europe/Paris': 365 },
  // the hour of 02 is one job: 60 minutes a day; on the spring day (no 02 hour) all 60 catch up at
  // one instant, the first after the gap
  '* 2 * * *': { UTC: 365 * 60, 'Europe/Paris': 364 * 60 + 1, 'America/New_York': 364 * 60 + 1 },
};

for (const tz of ZONES) {
  test(`a simulated year in ${tz}: every slot of every schedule, as cronie fires them`, () => {
    for (const schedule of [...SCHEDULES, ...(EXTRA[tz] ?? [])]) {
      const want = referenceSlots(schedule, tz, YEAR_FROM, YEAR_TO);
      const got = slotsBetween(schedule, tz, YEAR_FROM, YEAR_TO);
      if (got.length !== want.length || got.some((s, i) => s !== want[i])) {
        const g = new Set(got);
        const w = new Set(want);
        const extra = got.filter((s) => !w.has(s)).slice(0, 5).map(isoSeconds);
        const missing = want.filter((s) => !g.has(s)).slice(0, 5).map(isoSeconds);
        assert.fail(`${schedule} in ${tz}: ${got.length} slots, reference ${want.length}; extra ${extra.join(' ')}; missing ${missing.join(' ')}`);
      }
      const expected = EXPECTED_COUNTS[schedule]?.[tz];
      if (expected !== undefined) assert.equal(got.length, expected, `${schedule} in ${tz}`);
      // names are unique: one snapshot per slot, even for two slots in a repeated hour
      assert.equal(new Set(got.map((s) => slotSnapshotName('p', s))).size, got.length);
    }
  });
}

/** The two DST days of 2026 in a zone: [first day start, end] spans in UTC, padded by a day. */
const DST_DAYS: Array<{ tz: string; days: string[] }> = [
  { tz: 'Europe/Paris', days: ['2026-03-29', '2026-10-25'] },
  { tz: 'America/New_York', days: ['2026-03-08', '2026-11-01'] },
  { tz: 'America/Santiago', days: ['2026-04-04', '2026-09-06'] },
  { tz: 'Australia/Sydney', days: ['2026-04-05', '2026-10-04'] },
  { tz: 'Australia/Lord_Howe', days: ['2026-04-05', '2026-10-04'] },
  { tz: 'Pacific/Chatham', days: ['2026-04-05', '2026-09-27'] },
];

/** The instant the zone's offset changes on a (UTC) day, within a day either side. */
function transitionOn(tz: string, day: string): number {
  const t0 = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
  for (let t = t0; t < t0 + 3 * 86_400_000; t += 15 * 60_000) {
    if (referenceOffsetMinutes(tz, t) !== referenceOffsetMinutes(tz, t + 15 * 60_000)) return t + 15 * 60_000;
  }
  throw new Error(`no offset change in ${tz} around ${day}`);
}

for (const { tz, days } of DST_DAYS) {
  test(`both DST days in ${tz}: the latest slot at or before every minute, and the next after it, agree with the reference`, () => {
    for (const day of days) {
      // three hours either side of the day's transition (more than any shift), minute by minute
      const change = transitionOn(tz, day);
      const from = change - 3 * 3_600_000;
      const to = change + 3 * 3_600_000;
      for (const schedule of ['0 * * * *', '30 * * * *', '*/20 * * * *', '30 2 * * *', '0 0 * * *', '45 1 * * *']) {
        const ref = referenceSlots(schedule, tz, from - 8 * 86_400_000, to + 8 * 86_400_000);
        let i = 0;
        for (let t = from; t <= to; t += 60_000) {
          while (i + 1 < ref.length && ref[i + 1]! <= t) i++;
          const latest = latestSlotAtOrBefore(schedule, tz, t);
          assert.equal(latest === null ? null : isoSeconds(latest), isoSeconds(ref[i]!), `${schedule} ${tz} latest at ${isoSeconds(t)}`);
          const next = firstSlotAfter(schedule, tz, t);
          const want = ref.find((s) => s > t)!;
          assert.equal(next === null ? null : isoSeconds(next), isoSeconds(want), `${schedule} ${tz} next after ${isoSeconds(t)}`);
        }
      }
    }
  });
}
