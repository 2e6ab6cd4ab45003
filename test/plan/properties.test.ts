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

test('property: simulate equals a clock that plans at every slot and at random moments between (300 cases)', () => {
  const r = prng(7);
  const schedules = ['0 * * * *', '30 2 * * *', '0 */6 * * *', '15 3 * * 1'];
  for (let c = 0; c < 300; c++) {
    const pol = policy('sim', { schedule: r.pick(schedules), timezone: r.pick(ZONES) }, randomRetention(r));
    const from = Date.parse('2026-10-22T00:00:00Z') + r.int(0, 48) * HOUR;
    const to = from + r.int(1, 6) * 24 * HOUR;
    const res = simulate({ policy: pol, from: new Date(from), to: new Date(to) });
    const sp = simulatedPolicy(pol);
    const slots = slotsBetween(sp.schedule, sp.timezone, from, to);
    const moments = [...slots, ...Array.from({ length: r.int(0, 30) }, () => from + Math.floor(r.next() * (to - from)))]
      .filter((t) => t >= (slots[0] ?? Infinity))
      .sort((a, b) => a - b);
    let obs = emptySimObserved();
    let created = 0;
    for (const t of moments) {
      const p = plan({ policies: [sp], observed: obs, now: new Date(t), limits: { maxDeletes: Infinity, halfGuard: false } });
      created += p.actions.filter((a) => a.action === 'create').length;
      obs = applyPlanInMemory(obs, p, [sp]);
    }
    const survivors = obs.snapshots.map((s) => s.record!.slot!).sort();
    assert.deepEqual(res.survivors, survivors, `case ${c}: ${pol.schedule} ${pol.timezone} ${JSON.stringify(pol.retention)}`);
    assert.equal(res.created, created);
    assert.equal(res.created, slots.length);
  }
});
