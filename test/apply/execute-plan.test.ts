import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executePlan } from '../../src/apply/execute-plan.js';
import type { ExecAction } from '../../src/apply/execute-types.js';
import type { SnapshotBackend } from '../../src/backends/backend.js';
import type { Domain } from '../../src/model/domain.js';
import type { Policy } from '../../src/model/policy.js';
import type { ObservedSnapshot, SnapshotRecord } from '../../src/model/snapshot.js';

function dom(name: string, backend: 'qdisk' | 'tap'): Domain {
  return { key: `name-${name}`, uuid: null, name, state: 'running', disks: [{ vdev: 'xvda', path: `/img/${name}.img`, format: backend === 'tap' ? 'vhd' : 'qcow2', backend, readonly: false, cdrom: false }] };
}

function action(d: Domain, kind: 'create' | 'delete', snapshot: string, policy: string | null = null): ExecAction {
  return { action: kind, domain: { key: d.key, uuid: d.uuid, name: d.name }, policy, snapshot, slot: null, mode: 'disk-only', type: 'external', disks: ['xvda'], reason: 'test' };
}

/** A backend double: records calls; creates of the listed domains fail like a backend would. */
function fake(name: 'qdisk' | 'blktap', failCreatesOf: string[], calls: string[]): SnapshotBackend {
  return {
    name,
    refusal: () => null,
    async create(req, journal) {
      await journal.intent('work', {});
      calls.push(`${name} create ${req.domain.name} ${req.snapshot}`);
      if (failCreatesOf.includes(req.domain.name)) throw new Error(`injected failure on ${req.domain.name}`);
      await journal.done('work');
      return req.disks.map((d) => ({ vdev: d.vdev, format: d.format, backend: d.backend, frozenPath: `${d.path}@${req.snapshot}` }));
    },
    async delete(req) {
      calls.push(`${name} delete ${req.domain.name} ${req.snapshot}`);
    },
  };
}

const observed = (d: Domain, name: string): ObservedSnapshot => ({ domainKey: d.key, name, createdAt: '2026-01-01T00:00:00Z', managed: true, record: null, type: 'external', disks: [{ vdev: 'xvda', format: d.disks[0]!.format, backend: d.disks[0]!.backend, frozenPath: `${d.disks[0]!.path}@${name}` }] });

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const stateDir = await mkdtemp(join(tmpdir(), 'xensnap-exec-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const written: string[] = [];
  const removed: string[] = [];
  const records = {
    async write(_s: string, r: SnapshotRecord, key: string) {
      written.push(`${key}/${r.name}`);
    },
    async remove(_s: string, key: string, name: string) {
      removed.push(`${key}/${name}`);
    },
  };
  return { stateDir, written, removed, records };
}

test('one domain failing never stops another; its deletes are skipped; results keep input order', async (t) => {
  const s = await setup(t);
  const a = dom('a-1', 'qdisk');
  const b = dom('b-1', 'tap');
  const c = dom('c-1', 'qdisk');
  const calls: string[] = [];
  const actions = [action(a, 'delete', 'old-a'), action(a, 'create', 'new-a'), action(b, 'create', 'new-b'), action(b, 'delete', 'old-b'), action(c, 'create', 'new-c')];
  const results = await executePlan(actions, {
    stateDir: s.stateDir,
    domains: [a, b, c],
    snapshots: [observed(a, 'old-a'), observed(b, 'old-b')],
    policies: [],
    backends: { qdisk: fake('qdisk', ['a-1'], calls), blktap: fake('blktap', [], calls) },
    concurrency: 2,
    now: () => new Date('2026-01-01T00:00:00Z'),
    records: s.records,
  });
  assert.deepEqual(
    results.map((r) => [r.action.action, r.action.snapshot, r.status, r.message]),
    [
      ['delete', 'old-a', 'skipped', 'a create of this domain failed in this run'],
      ['create', 'new-a', 'failed', 'injected failure on a-1'],
      ['create', 'new-b', 'ok', null],
      ['delete', 'old-b', 'ok', null],
      ['create', 'new-c', 'ok', null],
    ],
  );
  assert.deepEqual(calls.filter((c) => c.includes('a-1')), ['qdisk create a-1 new-a']);
  assert.deepEqual(s.written.sort(), ['name-b-1/new-b', 'name-c-1/new-c']);
  assert.deepEqual(s.removed, ['name-b-1/old-b']);
  assert.deepEqual(await readdir(join(s.stateDir, '.journal')), []); // a failed create undid itself: nothing to recover
});

test('a pre hook that times out skips the create with the timeout; never through a shell', async (t) => {
  const s = await setup(t);
  const a = dom('a-1', 'qdisk');
  const calls: string[] = [];
  const policy = { name: 'p', hooks: 'slow', description: '', revision: null, deletionPolicy: 'Retain' } as unknown as Policy;
  const results = await executePlan([action(a, 'create', 'new-a', 'p')], {
    stateDir: s.stateDir,
    domains: [a],
    snapshots: [],
    policies: [policy],
    hooks: { slow: { pre: ['/bin/sleep', '5'], post: [], timeoutMs: 200 }, other: { pre: ['/bin/false'], post: [], timeoutMs: 1000 } },
    backends: { qdisk: fake('qdisk', [], calls), blktap: fake('blktap', [], calls) },
    concurrency: 1,
    now: () => new Date('2026-01-01T00:00:00Z'),
    records: s.records,
  });
  assert.equal(results[0]!.status, 'skipped');
  assert.equal(results[0]!.message, 'pre-snapshot hook slow ["/bin/sleep","5"] failed: timed out after 200 ms');
  assert.deepEqual(calls, []);
  assert.deepEqual(s.written, []);
});

test('domains run with bounded concurrency: never more than `concurrency` at once, all of them run', { timeout: 30_000 }, async (t) => {
  const s = await setup(t);
  const doms = ['d-1', 'd-2', 'd-3', 'd-4', 'd-5'].map((n) => dom(n, 'qdisk'));
  let inFlight = 0;
  let most = 0;
  let started = 0;
  // No sleeps: a create is held until `concurrency` (2) creates are in flight at once, or every
  // domain has started — an executor running them one at a time never gets there and times out.
  // Before letting them go, the process must be quiet (no file-system request pending over some
  // event-loop turns): an executor starting a third domain would be journaling it then, and
  // reach create while two are still held.
  const waiting: Array<() => void> = [];
  const quiet = async () => {
    for (let calm = 0; calm < 5; ) {
      await new Promise<void>((r) => setImmediate(r));
      calm = process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq')) ? 0 : calm + 1;
    }
  };
  const slow: SnapshotBackend = {
    name: 'qdisk',
    refusal: () => null,
    async create(req) {
      inFlight++;
      started++;
      most = Math.max(most, inFlight);
      const held = new Promise<void>((r) => waiting.push(r));
      if (inFlight === 2 || started === doms.length) void quiet().then(() => waiting.splice(0).forEach((release) => release()));
      await held;
      inFlight--;
      return req.disks.map((d) => ({ vdev: d.vdev, format: d.format, backend: d.backend, frozenPath: `${d.path}@x` }));
    },
    async delete() {},
  };
  const results = await executePlan(doms.map((d) => action(d, 'create', 'x')), {
    stateDir: s.stateDir, domains: doms, snapshots: [], policies: [], backends: { qdisk: slow, blktap: slow }, concurrency: 2,
    now: () => new Date('2026-01-01T00:00:00Z'), records: s.records,
  });
  assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'ok', 'ok', 'ok']);
  assert.equal(most, 2);
});
