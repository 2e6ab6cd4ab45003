// Property: over random schedules and runs, a policy's retention never deletes a manual or a
// pinned snapshot — the guarantee `create` and `pin` rely on. Pure: plan() + in-memory apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Policy, Retention } from '../../src/model/policy.js';
import type { Observed } from '../../src/model/observed.js';
import type { ObservedSnapshot } from '../../src/model/snapshot.js';
import { plan } from '../../src/plan/plan.js';
import { applyPlanInMemory } from '../../src/plan/apply-in-memory.js';
import { isoSeconds, slotsBetween } from '../../src/plan/slots.js';
import { domain, managed, observed, policy, slotSnap } from '../plan/fixtures.js';
import { prng } from '../plan/prng.js';

const SCHEDULES = ['0 * * * *', '*/20 * * * *', '30 2 * * *', '0 */6 * * *', '15 3 * * 1', '0 0 1 * *'];
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'];
const HOUR = 3_600_000;
const FROM = Date.parse('2026-10-01T00:00:00Z');
const TO = Date.parse('2026-11-15T00:00:00Z');
const slotCache = new Map<string, number[]>();
function slots(schedule: string, tz: string): number[] {
  const k = `${schedule}|${tz}`;
  let v = slotCache.get(k);
  if (!v) slotCache.set(k, (v = slotsBetween(schedule, tz, FROM, TO)));
  return v;
}

type R = ReturnType<typeof prng>;
function retention(r: R): Retention {
  const ret: Retention = {};
  if (r.chance(0.6)) ret.keepLast = r.int(0, 3);
  if (r.chance(0.3)) ret.keepHourly = r.int(0, 6);
  if (r.chance(0.3)) ret.keepDaily = r.int(0, 3);
  if (r.chance(0.2)) ret.keepWeekly = r.int(0, 2);
  if (Object.keys(ret).length === 0) ret.keepLast = 1;
  return ret;
}

const key = (s: { domainKey: string; name: string }) => `${s.domainKey}/${s.name}`;
const isManual = (s: ObservedSnapshot) => s.managed && s.record !== null && s.record.policy === null;

test('property: retention never deletes manual or pinned snapshots over random schedules and runs (1,000 cases)', () => {
  const r = prng(10_2026);
  let deletes = 0;
  for (let c = 0; c < 1000; c++) {
    const doms = Array.from({ length: r.int(1, 2) }, (_, i) => domain(`vm-${i}`));
    const pols: Policy[] = Array.from({ length: r.int(1, 3) }, (_, i) =>
      policy(`p${i}`, { schedule: r.pick(SCHEDULES), timezone: r.pick(ZONES), selector: { names: [r.pick(['vm-*', 'vm-0', '*'])], uuids: [], exclude: [], states: [] } }, retention(r)),
    );
    let now = Date.parse('2026-10-20T00:00:00Z') + r.int(0, 5 * 24 * 60) * 60_000;
    const snaps: ObservedSnapshot[] = [];
    for (const d of doms) {
      for (const p of pols) {
        for (const s of slots(p.schedule, p.timezone).filter((t) => t <= now && t > now - 10 * 24 * HOUR)) {
          if (r.chance(0.15)) snaps.push(slotSnap(d, p.name, isoSeconds(s), { pinned: r.chance(0.1) }));
        }
      }
      // one-offs as `create` records them: policy null, sometimes pinned, internal or external
      for (let i = r.int(0, 4); i > 0; i--) {
        const at = now - r.int(0, 20 * 24) * HOUR;
        snaps.push(managed(d, null, `m${c}-${i}`, { createdAt: isoSeconds(at), pinned: r.chance(0.3), type: r.pick(['internal', 'external'] as const) }));
      }
    }
    let world: Observed = observed(doms, snaps);
    // what must survive every run: manual ones, and pinned ones (pins can be added between runs)
    const protectedKeys = new Set(world.snapshots.filter((s) => isManual(s) || s.record?.pinned).map(key));
    const runs = r.int(1, 6);
    for (let run = 0; run < runs; run++) {
      const p = plan({ policies: pols, observed: world, now: new Date(now), limits: { maxDeletes: r.pick([1, 5, Number.POSITIVE_INFINITY]) } });
      const byKey = new Map(world.snapshots.map((s) => [key(s), s]));
      for (const a of p.actions.filter((x) => x.action === 'delete')) {
        deletes++;
        const s = byKey.get(`${a.domain.key}/${a.snapshot}`)!;
        assert.ok(!protectedKeys.has(key(s)), `case ${c} run ${run}: protected ${a.snapshot} deleted`);
        assert.ok(!isManual(s) && !s.record?.pinned, `case ${c} run ${run}: ${a.snapshot} (manual or pinned) deleted`);
      }
      for (const k of protectedKeys) {
        const kept = p.kept.find((x) => `${x.domain.key}/${x.snapshot}` === k);
        assert.ok(kept, `case ${c} run ${run}: ${k} not kept`);
        const s = byKey.get(k)!;
        if (isManual(s)) assert.ok(kept.rules.includes('manual'), `case ${c}: ${k} kept for ${kept.rules.join(',')}`);
        if (s.record?.pinned) assert.ok(kept.rules.includes('pinned'), `case ${c}: ${k} kept for ${kept.rules.join(',')}`);
      }
      world = applyPlanInMemory(world, p, pols);
      // between runs the operator sometimes pins a policy snapshot, or makes another one-off
      const policySnaps = world.snapshots.filter((s) => s.record && s.record.policy !== null && !s.record.pinned);
      if (policySnaps.length && r.chance(0.3)) {
        const pick = r.pick(policySnaps);
        world = { ...world, snapshots: world.snapshots.map((s) => (s === pick ? { ...s, record: { ...s.record!, pinned: true } } : s)) };
        protectedKeys.add(key(pick));
      }
      if (r.chance(0.3)) {
        const d = r.pick(doms);
        const m = managed(d, null, `m${c}-run${run}`, { createdAt: isoSeconds(now) });
        world = { ...world, snapshots: [...world.snapshots, m] };
        protectedKeys.add(key(m));
      }
      now += r.int(10, 36 * 60) * 60_000;
    }
    const left = new Set(world.snapshots.map(key));
    for (const k of protectedKeys) assert.ok(left.has(k), `case ${c}: ${k} is gone at the end`);
  }
  // the property is not vacuous: retention did delete policy snapshots along the way
  assert.ok(deletes > 1000, `only ${deletes} deletes happened`);
});
