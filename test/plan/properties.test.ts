import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Policy, Retention } from '../../src/model/policy.js';
import type { ObservedSnapshot } from '../../src/model/snapshot.js';
import { applyPlanInMemory } from '../../src/plan/apply-in-memory.js';
import { plan } from '../../src/plan/plan.js';
import { periodKeys } from '../../src/plan/period-keys.js';
import { applyRetention } from '../../src/plan/retention/apply-retention.js';
import { simulate, simulatedPolicy, emptySimObserved } from '../../src/plan/simulate.js';
import { isoSeconds, slotsBetween } from '../../src/plan/slots.js';
import { domain, foreign, managed, observed, policy, slotSnap } from './fixtures.js';
import { prng } from './prng.js';
import { referenceKept } from './reference-retention.js';
import { referenceSlots } from './reference-slots.js';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const SCHEDULES = ['0 * * * *', '30 2 * * *', '0 */6 * * *', '15 3 * * 1', '0 0 1 * *', '*/30 * * * *'];
const HOUR = 3_600_000;

type R = ReturnType<typeof prng>;

function randomRetention(r: R): Retention {
  const ret: Retention = {};
  if (r.chance(0.5)) ret.keepLast = r.int(0, 6);
  if (r.chance(0.4)) ret.keepHourly = r.int(0, 30);
  if (r.chance(0.4)) ret.keepDaily = r.int(0, 10);
  if (r.chance(0.3)) ret.keepWeekly = r.int(0, 5);
  if (r.chance(0.3)) ret.keepMonthly = r.int(0, 4);
  if (r.chance(0.2)) ret.keepYearly = r.int(0, 2);
  if (r.chance(0.3)) ret.keepWithinMs = r.int(1, 72) * 30 * 60_000;
  if (Object.keys(ret).length === 0) ret.keepLast = r.int(1, 5);
  return ret;
}

test('property: the retention union equals an independent Intl-based reference (5,000 cases)', () => {
  const r = prng(20261126);
  // times around DST changes and year ends make the interesting cases
  const anchors = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-11-01T06:00:00Z', '2026-12-31T23:00:00Z', '2026-06-15T12:00:00Z'].map(Date.parse);
  for (let c = 0; c < 5000; c++) {
    const tz = r.pick(ZONES);
    const base = r.pick(anchors);
    const spread = r.pick([6 * HOUR, 3 * 24 * HOUR, 40 * 24 * HOUR, 800 * 24 * HOUR]);
    const n = r.int(0, 25);
    const times = [...new Set(Array.from({ length: n }, () => base + Math.round((r.next() - 0.5) * spread / 60_000) * 60_000))];
    const retention = randomRetention(r);
    const sorted = [...times].sort((a, b) => b - a);
    const rules = applyRetention(sorted.map((t) => ({ timeMs: t, keys: periodKeys(tz, t) })), retention);
    const got = new Set(sorted.filter((_, i) => rules[i] !== undefined));
    const want = referenceKept(times, tz, retention);
    assert.deepEqual([...got].sort(), [...want].sort(), `case ${c}: tz ${tz} ${JSON.stringify(retention)} times ${sorted.map((t) => isoSeconds(t)).join(' ')}`);
  }
});

// slots of the window random worlds live in, per (schedule, zone): cron stepping is slow
const WINDOW_FROM = Date.parse('2026-09-30T00:00:00Z');
const WINDOW_TO = Date.parse('2026-11-10T00:00:00Z');
const slotCache = new Map<string, number[]>();
function windowSlots(schedule: string, tz: string): number[] {
  const k = `${schedule}|${tz}`;
  let v = slotCache.get(k);
  if (!v) slotCache.set(k, (v = slotsBetween(schedule, tz, WINDOW_FROM, WINDOW_TO)));
  return v;
}

function randomWorld(r: R) {
  const doms = Array.from({ length: r.int(1, 3) }, (_, i) => domain(`vm-${i}`));
  const pols: Policy[] = Array.from({ length: r.int(1, 3) }, (_, i) =>
    policy(`p${i}`, { schedule: r.pick(SCHEDULES), timezone: r.pick(ZONES) }, randomRetention(r)),
  );
  const now = Date.parse('2026-10-20T00:00:00Z') + r.int(0, 20 * 24 * 60) * 60_000;
  const snaps: ObservedSnapshot[] = [];
  for (const d of doms) {
    for (const p of pols) {
      const slots = windowSlots(p.schedule, p.timezone).filter((t) => t >= now - 20 * 24 * HOUR && t <= now);
      const density = Math.min(0.3, 40 / Math.max(1, slots.length));
      for (const s of slots) if (r.chance(density)) snaps.push(slotSnap(d, p.name, isoSeconds(s), { pinned: r.chance(0.05) }));
    }
    if (r.chance(0.3)) snaps.push(foreign(d, `foreign-${r.int(0, 9)}`));
    if (r.chance(0.3)) snaps.push(managed(d, null, `manual-${r.int(0, 9)}`));
    for (const gone of ['retired', 'gone']) {
      if (r.chance(0.2)) snaps.push(slotSnap(d, gone, '2026-09-01T00:00:00Z', { deletionPolicy: r.pick(['Retain', 'Delete'] as const) }));
    }
  }
  return { doms, pols, now, obs: observed(doms, snaps) };
}

test('property: safety, idempotence, determinism and stable names over random worlds (5,000 cases)', () => {
  const r = prng(42);
  const limits = { maxDeletes: Number.POSITIVE_INFINITY, halfGuard: false };
  for (let c = 0; c < 5000; c++) {
    const { pols, now, obs } = randomWorld(r);
    const p = plan({ policies: pols, observed: obs, now: new Date(now), limits });
    const byKey = new Map(obs.snapshots.map((s) => [`${s.domainKey}/${s.name}`, s]));
    const newestOf = new Map<string, number>();
    for (const s of obs.snapshots) {
      if (!s.record?.slot) continue;
      const g = `${s.domainKey}/${s.record.policy}`;
      newestOf.set(g, Math.max(newestOf.get(g) ?? -Infinity, Date.parse(s.record.slot)));
    }
    for (const a of p.actions.filter((x) => x.action === 'delete')) {
      const s = byKey.get(`${a.domain.key}/${a.snapshot}`)!;
      assert.ok(s.managed && s.record, `case ${c}: foreign ${a.snapshot} deleted`);
      assert.equal(s.record!.pinned, false, `case ${c}: pinned ${a.snapshot} deleted`);
      assert.notEqual(s.record!.policy, null, `case ${c}: manual ${a.snapshot} deleted`);
      if (pols.some((pp) => pp.name === s.record!.policy)) {
        // never the newest of its (policy, domain), counting the snapshot about to be created
        const created = p.actions.some((x) => x.action === 'create' && x.domain.key === s.domainKey && x.policy === s.record!.policy);
        const newest = newestOf.get(`${s.domainKey}/${s.record!.policy}`)!;
        assert.ok(created || Date.parse(s.record!.slot!) < newest, `case ${c}: newest ${a.snapshot} deleted`);
      }
    }
    // kept + deleted = observed, exactly once each
    const accounted = [...p.kept.map((k) => `${k.domain.key}/${k.snapshot}`), ...p.actions.filter((a) => a.action === 'delete').map((a) => `${a.domain.key}/${a.snapshot}`)].sort();
    assert.deepEqual(accounted, [...byKey.keys()].sort(), `case ${c}: kept + deleted ≠ observed`);
    // idempotence
    const after = applyPlanInMemory(obs, p, pols);
    assert.deepEqual(plan({ policies: pols, observed: after, now: new Date(now), limits }).actions, [], `case ${c}: second plan not empty`);
    // determinism: input order does not matter
    const shuffled = { ...obs, snapshots: [...obs.snapshots].reverse(), domains: [...obs.domains].reverse() };
    assert.deepEqual(plan({ policies: [...pols].reverse(), observed: shuffled, now: new Date(now), limits }), p, `case ${c}: order-dependent`);
    // same slot, same names: a little later, before the next slot, the creates are the same
    const later = plan({ policies: pols, observed: obs, now: new Date(now + r.int(0, 59) * 1000), limits });
    const names = (x: typeof p) => x.actions.filter((a) => a.action === 'create').map((a) => `${a.domain.key}/${a.snapshot}`);
    const sameSlots = pols.every((pp) => !windowSlots(pp.schedule, pp.timezone).some((t) => t > now && t <= now + 59_000));
    if (sameSlots) assert.deepEqual(names(later), names(p), `case ${c}: names changed within a slot`);
  }
});

/** The UTC offset of `tz` at `ms` in minutes, read from Intl (longOffset: "GMT+05:30"). */
function tzOffsetMinutes(tz: string, ms: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * The planner over time, modelled for the test: at each moment the latest slot at or before it is
 * created when missing, then the snapshots no retention rule keeps (referenceKept; the newest is
 * always kept) are deleted — with limits, none when that is more than half of them (the
 * more-than-half guard) and otherwise at most `maxDeletes`, oldest first.
 */
function modelClock(slots: number[], moments: number[], tz: string, retention: Retention, limits: { maxDeletes: number; halfGuard: boolean }) {
  let held: number[] = [];
  let created = 0;
  for (const t of moments) {
    const due = slots.filter((s) => s <= t).pop();
    if (due !== undefined && !held.includes(due)) {
      held.push(due);
      created++;
    }
    const keep = referenceKept(held, tz, retention);
    keep.add(Math.max(...held));
    let unwanted = held.filter((s) => !keep.has(s)).sort((a, b) => a - b);
    if (limits.halfGuard && unwanted.length * 2 > held.length) unwanted = [];
    unwanted = unwanted.slice(0, limits.maxDeletes);
    held = held.filter((s) => !unwanted.includes(s));
  }
  return { survivors: held.sort((a, b) => a - b).map(isoSeconds), created };
}

test('property: simulate and a clock planning at every slot and between equal an independent model; limits on in a third (300 cases)', (t) => {
  const r = prng(7);
  const schedules = ['0 * * * *', '30 2 * * *', '0 */6 * * *', '15 3 * * 1', '*/30 * * * *'];
  // spans starting near daylight-saving changes: spring gaps (New York, Paris, Lord Howe's 30 min),
  // repeated autumn hours (Lord Howe, Paris, New York), and a quiet week
  const starts = ['2026-03-06', '2026-03-27', '2026-04-03', '2026-10-02', '2026-10-22', '2026-10-30'].map((d) => Date.parse(`${d}T00:00:00Z`));
  let limited = 0;
  const seen = { deletes: 0, heldBack: 0, dst: 0 };
  for (let c = 0; c < 300; c++) {
    const schedule = r.pick(schedules);
    const pol = policy('sim', { schedule, timezone: r.pick(ZONES) }, randomRetention(r));
    const from = r.pick(starts) + r.int(0, 48) * HOUR;
    // a weekly schedule gets at least 8 days: every case has slots
    const to = from + (schedule === '15 3 * * 1' ? r.int(8, 22) : r.int(1, 6)) * 24 * HOUR;
    const label = `case ${c}: ${pol.schedule} ${pol.timezone} ${isoSeconds(from)}..${isoSeconds(to)} ${JSON.stringify(pol.retention)}`;
    const slots = referenceSlots(pol.schedule, pol.timezone, from, to);
    assert.ok(slots.length > 0, `${label}: no slot`);
    const moments = [...slots, ...Array.from({ length: r.int(0, 30) }, () => from + Math.floor(r.next() * (to - from)))]
      .filter((t) => t >= slots[0]!)
      .sort((a, b) => a - b);
    const limits = c % 3 === 2 ? { maxDeletes: r.int(0, 3), halfGuard: r.chance(0.5) } : { maxDeletes: Infinity, halfGuard: false };
    const want = modelClock(slots, moments, pol.timezone, pol.retention, limits);
    if (want.survivors.length < slots.length) seen.deletes++;
    if (limits.maxDeletes !== Infinity && JSON.stringify(want) !== JSON.stringify(modelClock(slots, moments, pol.timezone, pol.retention, { maxDeletes: Infinity, halfGuard: false }))) seen.heldBack++;
    // a slot at an offset other than the span start's: the case crosses a daylight-saving change
    if (slots.some((s) => tzOffsetMinutes(pol.timezone, s) !== tzOffsetMinutes(pol.timezone, from))) seen.dst++;

    const sp = simulatedPolicy(pol);
    let obs = emptySimObserved();
    let created = 0;
    for (const t of moments) {
      const p = plan({ policies: [sp], observed: obs, now: new Date(t), limits });
      created += p.actions.filter((a) => a.action === 'create').length;
      obs = applyPlanInMemory(obs, p, [sp]);
    }
    assert.deepEqual({ survivors: obs.snapshots.map((s) => s.record!.slot!).sort(), created }, want, `${label} limits ${JSON.stringify(limits)}: the clock`);
    assert.equal(created, slots.length, label);
    if (limits.maxDeletes === Infinity) {
      const res = simulate({ policy: pol, from: new Date(from), to: new Date(to) });
      assert.deepEqual({ survivors: res.survivors, created: res.created }, modelClock(slots, slots, pol.timezone, pol.retention, limits), `${label}: simulate`);
    } else limited++;
  }
  assert.equal(limited, 100);
  // the cases reach what they are for: retention deleting, limits holding deletes back, DST changes
  t.diagnostic(JSON.stringify(seen));
  assert.ok(seen.deletes >= 150 && seen.heldBack >= 10 && seen.dst >= 40, JSON.stringify(seen));
});
