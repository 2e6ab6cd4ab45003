import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserInputError } from '../../src/errors.js';
import { applyPlanInMemory } from '../../src/plan/apply-in-memory.js';
import { fingerprintObserved } from '../../src/plan/fingerprint.js';
import { plan } from '../../src/plan/plan.js';
import { checkStale, parsePlanFile, serializePlan } from '../../src/plan/plan-file.js';
import { domain, foreign, hourlySlots, observed, policy, slotSnap } from './fixtures.js';

const NOW = new Date('2026-11-26T04:20:00Z');

function world() {
  const a = domain('a');
  const b = domain('b');
  const snaps = [...hourlySlots('2026-11-26T02:00:00Z', 5).map((s) => slotSnap(a, 'p', s)), foreign(b, 'x')];
  return { a, b, obs: observed([a, b], snaps), pols: [policy('p', {}, { keepLast: 3 })] };
}

test('a saved plan reads back equal, and the file is indented JSON ending in a newline', () => {
  const { obs, pols } = world();
  const p = plan({ policies: pols, observed: obs, now: NOW, limits: { maxDeletes: 50 } });
  const text = serializePlan(p);
  assert.ok(text.startsWith('{\n  "formatVersion": 1,\n  "at": "2026-11-26T04:20:00.000Z",\n  "fingerprint": "'));
  assert.ok(text.endsWith('}\n'));
  assert.deepEqual(parsePlanFile(text, 'plan.json'), p);
});

test('bad plan files are user errors naming the file and the problem', () => {
  const { obs, pols } = world();
  const good = JSON.parse(serializePlan(plan({ policies: pols, observed: obs, now: NOW, limits: { maxDeletes: 50 } })));
  const cases: Array<[string, string]> = [
    ['{', 'p.json: not a plan file: '],
    ['[]', 'p.json: not a plan file: expected a JSON object'],
    [JSON.stringify({ ...good, formatVersion: 2 }), 'p.json: unsupported plan formatVersion 2 (this xensnap reads 1)'],
    [JSON.stringify({ ...good, fingerprint: 'abc' }), 'p.json: not a valid plan: /fingerprint must be a sha256 hex digest'],
    [JSON.stringify({ ...good, extra: 1 }), 'p.json: not a valid plan: /extra is not a plan field'],
    [JSON.stringify({ ...good, actions: [{ ...good.actions[0], action: 'rename' }] }), 'p.json: not a valid plan: /actions/0/action must be one of create, delete'],
    [JSON.stringify({ ...good, actions: [{ ...good.actions[0], snapshot: '../etc' }] }), 'p.json: not a valid plan: /actions/0/snapshot must be a snapshot name'],
    [JSON.stringify({ ...good, kept: [{}] }), 'p.json: not a valid plan: /kept/0/domain is missing'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parsePlanFile(text, 'p.json'), (e: unknown) => {
      assert.ok(e instanceof UserInputError);
      assert.ok(e.message.startsWith(message), `${e.message} ≠ ${message}`);
      return true;
    });
  }
});

test('stale check: same observation → null; any snapshot change → the reason', () => {
  const { obs, pols } = world();
  const p = plan({ policies: pols, observed: obs, now: NOW, limits: { maxDeletes: 50 } });
  assert.equal(checkStale(p, obs), null);
  // order of observation does not matter
  assert.equal(checkStale(p, { ...obs, snapshots: [...obs.snapshots].reverse() }), null);
  // sizes do not matter
  assert.equal(checkStale(p, { ...obs, snapshots: obs.snapshots.map((s) => ({ ...s, sizeBytes: 123 })) }), null);
  const applied = applyPlanInMemory(obs, p, pols);
  const reason = checkStale(p, applied);
  assert.equal(
    reason,
    `plan is stale: the snapshots, disks or domains changed since it was made at 2026-11-26T04:20:00.000Z (fingerprint ${p.fingerprint.slice(0, 12)} is now ${fingerprintObserved(applied).slice(0, 12)}); make a new plan`,
  );
  const pinned = { ...obs, snapshots: obs.snapshots.map((s, i) => (i === 0 ? { ...s, record: { ...s.record!, pinned: true } } : s)) };
  assert.match(checkStale(p, pinned)!, /^plan is stale: /);
});

test('a scoped plan is stale only for changes in its scope', () => {
  const { a, b, obs, pols } = world();
  const p = plan({ policies: pols, domains: [b], observed: obs, now: NOW, limits: { maxDeletes: 50 } });
  const changedA = { ...obs, snapshots: obs.snapshots.filter((s) => s.domainKey !== a.key) };
  assert.equal(checkStale(p, changedA), null);
  const changedB = { ...obs, snapshots: obs.snapshots.filter((s) => s.domainKey !== b.key) };
  assert.match(checkStale(p, changedB)!, /^plan is stale: /);
});
