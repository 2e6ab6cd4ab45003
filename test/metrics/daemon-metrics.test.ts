import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { policyDomainFigures, slotOfName } from '../../src/metrics/policy-domain-gauges.js';
import type { ReconcileReport } from '../../src/loop/reconciler.js';
import type { PlanAction, PlanKept } from '../../src/plan/plan-types.js';
import type { RunSummary } from '../../src/loop/daemon-status.js';
import type { PolicySetState } from '../../src/loop/policy-source.js';
import { parsePromText, seriesLines } from './prom-text.js';

const dom = (name: string) => ({ key: `key-${name}`, uuid: null, name });
const act = (action: 'create' | 'delete', domain: string, policy: string, snapshot: string): PlanAction => ({
  action,
  domain: dom(domain),
  policy,
  snapshot,
  slot: null,
  mode: 'disk-only',
  type: 'external',
  disks: ['xvda'],
  reason: 'test',
});
const kept = (domain: string, policy: string | null, snapshot: string, rules: string[]): PlanKept => ({ domain: dom(domain), policy, snapshot, rules });

function report(): ReconcileReport {
  const actions = [
    act('create', 'db-1', 'db-daily', 'db-daily-20260310T023000Z'),
    act('create', 'web-3', 'web-hourly', 'web-hourly-20260310T110000Z'),
    act('delete', 'web-3', 'web-hourly', 'web-hourly-20260310T080000Z'),
  ];
  return {
    startedAt: '2026-03-10T11:00:00.000Z',
    finishedAt: '2026-03-10T11:00:04.000Z',
    recovered: [],
    skippedDomains: [],
    plan: {
      formatVersion: 1,
      at: '2026-03-10T11:00:00.000Z',
      fingerprint: 'x',
      scope: null,
      policies: [
        { name: 'db-daily', revision: null },
        { name: 'web-hourly', revision: 'abc' },
      ],
      actions,
      kept: [
        kept('app-1', 'web-hourly', 'web-hourly-20260310T090000Z', ['held-back']),
        kept('app-1', 'web-hourly', 'web-hourly-20260310T100000Z', ['newest', 'keepLast']),
        kept('app-1', null, 'manual-1', ['manual']),
        kept('app-1', 'gone', 'gone-20260101T000000Z', ['orphaned']),
        kept('db-1', 'db-daily', 'db-daily-20260309T023000Z', ['newest']),
        kept('web-3', 'web-hourly', 'web-hourly-20260310T100000Z', ['keepLast']),
      ],
      findings: [],
      capacity: {
        filesystems: [{ id: '8:1', mount: '/srv', freeBytes: 5_000, totalBytes: 100_000, limitBytes: 10_000, createBytes: 0, freesBytes: 0 }],
        held: [{ domain: dom('app-1'), policy: 'web-hourly', snapshot: 'web-hourly-20260310T110000Z', reason: 'free-space', fs: '8:1' }],
      },
    },
    skipped: [
      { name: 'hang-1', uuid: null, key: 'name-hang-1', cause: 'state-unknown', reason: 'cannot tell whether QEMU at /run/h.qmp runs' },
      { name: 'stuck-1', uuid: null, key: 'name-stuck-1', cause: 'unresolved-journal', reason: 'interrupted work recovery could not resolve', journal: '/s/.journal/x.jsonl' },
    ],
    results: [
      { action: actions[0]!, status: 'failed', message: 'qemu-img failed', durationMs: 10 },
      { action: actions[1]!, status: 'ok', message: null, warnings: ['domain web-3: could not quiesce (no agent); the snapshot is crash-consistent'], durationMs: 10 },
      { action: actions[2]!, status: 'ok', message: null, durationMs: 10 },
    ],
    heldBack: 1,
    ok: false,
    error: 'create db-daily-20260310T023000Z on db-1: qemu-img failed',
  };
}

test('slotOfName reads the UTC stamp of policy snapshot names', () => {
  assert.equal(slotOfName('web-hourly-20260310T110000Z'), Date.parse('2026-03-10T11:00:00Z'));
  assert.equal(slotOfName('manual-1'), null);
});

test('per policy and domain: managed count, newest slot, compliance', () => {
  assert.deepEqual(policyDomainFigures(report()), [
    { policy: 'db-daily', domain: 'db-1', managed: 1, newestMs: Date.parse('2026-03-09T02:30:00Z'), compliant: 0 },
    { policy: 'web-hourly', domain: 'app-1', managed: 2, newestMs: Date.parse('2026-03-10T10:00:00Z'), compliant: 0 },
    { policy: 'web-hourly', domain: 'web-3', managed: 2, newestMs: Date.parse('2026-03-10T11:00:00Z'), compliant: 1 },
  ]);
});

test('the exposition parses strictly and carries exact names, labels and values', async () => {
  const now = Date.parse('2026-03-10T11:00:10Z');
  const m = new DaemonMetrics(() => now);
  const summary: RunSummary = {
    at: '2026-03-10T11:00:00.000Z',
    finishedAt: '2026-03-10T11:00:04.000Z',
    result: 'failed',
    durationMs: 4000,
    triggers: ['slot'],
    actions: { ok: 2, failed: 1, skipped: 0 },
    heldBack: 1,
    recovered: 0,
    skippedDomains: [],
    message: null,
  };
  const set: PolicySetState = { valid: false, diagnostics: ['a', 'b'], revision: 'def', count: 0, inForce: { policies: [], revision: 'abc', loadedAt: 'x' } };
  const stuck = { domain: 'db-1', key: 'name-db-1', operation: 'revert of i1', reason: 'domain db-1 is running', journal: '/s/.journal/a.jsonl' };
  m.recordRun(summary, { ...report(), skippedDomains: [stuck, { ...stuck, journal: '/s/.journal/b.jsonl' }] }, set);
  m.recordRun({ ...summary, result: 'ok', finishedAt: '2026-03-10T11:00:09.000Z', durationMs: 200 }, null, set);
  m.setLoopState('reconciling');
  const text = await m.registry.metrics();
  const fams = parsePromText(text);
  assert.deepEqual(
    [...fams.values()].map((f) => `${f.name} ${f.type}`).sort(),
    [
      'xensnap_action_warnings_total counter',
      'xensnap_actions_total counter',
      'xensnap_creates_held_back gauge',
      'xensnap_deletes_held_back gauge',
      'xensnap_filesystem_free_bytes gauge',
      'xensnap_filesystem_limit_bytes gauge',
      'xensnap_filesystem_size_bytes gauge',
      'xensnap_last_success_timestamp_seconds gauge',
      'xensnap_loop_state gauge',
      'xensnap_managed_snapshots gauge',
      'xensnap_newest_snapshot_age_seconds gauge',
      'xensnap_policies_in_force gauge',
      'xensnap_policy_compliant gauge',
      'xensnap_policy_set_diagnostics gauge',
      'xensnap_policy_set_in_force_info gauge',
      'xensnap_policy_set_info gauge',
      'xensnap_policy_set_valid gauge',
      'xensnap_reconcile_duration_seconds histogram',
      'xensnap_reconcile_runs_total counter',
      'xensnap_skipped_domains gauge',
      'xensnap_unresolved_journals gauge',
    ],
  );
  assert.deepEqual(seriesLines(fams.get('xensnap_unresolved_journals')), ['xensnap_unresolved_journals{domain="db-1"} 2']);
  const s = (n: string) => seriesLines(fams.get(n));
  assert.deepEqual(s('xensnap_reconcile_runs_total'), ['xensnap_reconcile_runs_total{result="failed"} 1', 'xensnap_reconcile_runs_total{result="ok"} 1']);
  assert.deepEqual(s('xensnap_actions_total'), [
    'xensnap_actions_total{kind="create",result="failed"} 1',
    'xensnap_actions_total{kind="create",result="ok"} 1',
    'xensnap_actions_total{kind="delete",result="ok"} 1',
  ]);
  // skipped domains by cause (a stuck journal among them) and storage, for the shipped alert rules
  assert.deepEqual(s('xensnap_skipped_domains'), ['xensnap_skipped_domains{cause="state-unknown"} 1', 'xensnap_skipped_domains{cause="unresolved-journal"} 1']);
  assert.deepEqual(s('xensnap_filesystem_free_bytes'), ['xensnap_filesystem_free_bytes{mount="/srv"} 5000']);
  assert.deepEqual(s('xensnap_filesystem_size_bytes'), ['xensnap_filesystem_size_bytes{mount="/srv"} 100000']);
  assert.deepEqual(s('xensnap_filesystem_limit_bytes'), ['xensnap_filesystem_limit_bytes{mount="/srv"} 10000']);
  assert.deepEqual(s('xensnap_creates_held_back'), ['xensnap_creates_held_back{reason="chain-depth"} 0', 'xensnap_creates_held_back{reason="free-space"} 1']);
  // a snapshot weaker than asked is counted, so fleets can alert on it
  assert.deepEqual(s('xensnap_action_warnings_total'), ['xensnap_action_warnings_total{kind="create"} 1']);
  assert.deepEqual(s('xensnap_managed_snapshots'), [
    'xensnap_managed_snapshots{policy="db-daily",domain="db-1"} 1',
    'xensnap_managed_snapshots{policy="web-hourly",domain="app-1"} 2',
    'xensnap_managed_snapshots{policy="web-hourly",domain="web-3"} 2',
  ]);
  assert.deepEqual(s('xensnap_newest_snapshot_age_seconds'), [
    'xensnap_newest_snapshot_age_seconds{policy="db-daily",domain="db-1"} 117010',
    'xensnap_newest_snapshot_age_seconds{policy="web-hourly",domain="app-1"} 3610',
    'xensnap_newest_snapshot_age_seconds{policy="web-hourly",domain="web-3"} 10',
  ]);
  assert.deepEqual(s('xensnap_policy_compliant'), [
    'xensnap_policy_compliant{policy="db-daily",domain="db-1"} 0',
    'xensnap_policy_compliant{policy="web-hourly",domain="app-1"} 0',
    'xensnap_policy_compliant{policy="web-hourly",domain="web-3"} 1',
  ]);
  assert.deepEqual(s('xensnap_policy_set_valid'), ['xensnap_policy_set_valid{} 0']);
  assert.deepEqual(s('xensnap_policy_set_info'), ['xensnap_policy_set_info{revision="def"} 1']);
  assert.deepEqual(s('xensnap_policy_set_in_force_info'), ['xensnap_policy_set_in_force_info{revision="abc"} 1']);
  assert.deepEqual(s('xensnap_policy_set_diagnostics'), ['xensnap_policy_set_diagnostics{} 2']);
  assert.deepEqual(s('xensnap_last_success_timestamp_seconds'), [`xensnap_last_success_timestamp_seconds{} ${Date.parse('2026-03-10T11:00:09Z') / 1000}`]);
  assert.deepEqual(s('xensnap_deletes_held_back'), ['xensnap_deletes_held_back{} 1']);
  assert.deepEqual(s('xensnap_loop_state'), [
    'xensnap_loop_state{state="idle"} 0',
    'xensnap_loop_state{state="reconciling"} 1',
    'xensnap_loop_state{state="stopped"} 0',
    'xensnap_loop_state{state="stopping"} 0',
  ]);
  const h = seriesLines(fams.get('xensnap_reconcile_duration_seconds'));
  assert.ok(h.includes('xensnap_reconcile_duration_seconds_count{} 2'));
  assert.ok(h.includes('xensnap_reconcile_duration_seconds_sum{} 4.2'));
  assert.ok(h.includes('xensnap_reconcile_duration_seconds_bucket{le="0.5"} 1'));
  assert.ok(h.includes('xensnap_reconcile_duration_seconds_bucket{le="5"} 2'));
});

test('a second run replaces the per-pair series: a domain gone leaves none behind', async () => {
  const m = new DaemonMetrics(() => 0);
  const set: PolicySetState = { valid: true, diagnostics: [], revision: null, count: 1, inForce: { policies: [], revision: null, loadedAt: 'x' } };
  const sum: RunSummary = { at: 'x', finishedAt: '2026-03-10T11:00:00Z', result: 'ok', durationMs: 1, triggers: [], actions: { ok: 0, failed: 0, skipped: 0 }, heldBack: 0, recovered: 0, skippedDomains: [], message: null };
  m.recordRun(sum, report(), set);
  const r2 = report();
  r2.plan.kept = r2.plan.kept.filter((k) => k.domain.name === 'web-3');
  r2.plan.actions = [];
  r2.results = [];
  m.recordRun(sum, r2, set);
  const fams = parsePromText(await m.registry.metrics());
  assert.deepEqual(seriesLines(fams.get('xensnap_managed_snapshots')), ['xensnap_managed_snapshots{policy="web-hourly",domain="web-3"} 1']);
  assert.deepEqual(seriesLines(fams.get('xensnap_policy_set_info')), ['xensnap_policy_set_info{revision="unknown"} 1']);
});

test('the strict parser rejects broken exposition', () => {
  assert.throws(() => parsePromText('x 1\n'), /without a TYPE/);
  assert.throws(() => parsePromText('# TYPE x gauge\nx{a="1} 1\n'), /unterminated/);
  assert.throws(() => parsePromText('# TYPE x gauge\nx 1\nx 2\n'), /duplicate series/);
  assert.throws(() => parsePromText('# TYPE x gauge\nx one\n'), /bad value/);
  assert.throws(() => parsePromText('# TYPE x gauge\nx 1'), /newline/);
});
