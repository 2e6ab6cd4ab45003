import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlanDiff } from '../../src/render/plan-diff.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { wantColor } from '../../src/render/color.js';
import { formatBytes } from '../../src/util/format-bytes.js';
import { plan } from '../../src/plan/plan.js';
import { domain, observed, policy, slotSnap } from '../plan/fixtures.js';
import { fixturePlan } from './plan-fixture.js';

const DB_FINDINGS = [
  '  ! unsnapshotable: policy web-hourly: disk xvdb (phy, raw) cannot take an external snapshot: phy disks (block devices) cannot be snapshotted; no snapshot is created',
  '  ! orphaned: 1 snapshot of policy retired, which is gone, retained (deletionPolicy Retain)',
];
const WEB_ACTIONS = [
  // web-1 runs: its chain is merged through QMP (block-stream), each estimate counting what the deletes before it moved
  '  - web-hourly-20261126T000000Z [web-hourly; disk-only; external; xvda; stream 64.0 MiB into its child (block-stream), chain depth 5 after]: not kept by keepLast=2, keepDaily=1',
  '  - web-hourly-20261126T010000Z [web-hourly; disk-only; external; xvda; stream 65.0 MiB into its child (block-stream), chain depth 4 after]: not kept by keepLast=2, keepDaily=1',
  '  - web-hourly-20261126T020000Z [web-hourly; disk-only; external; xvda; stream 67.0 MiB into its child (block-stream), chain depth 3 after]: not kept by keepLast=2, keepDaily=1',
  '  + web-hourly-20261126T040000Z [web-hourly; disk-only; external; xvda]: due: slot 2026-11-26T04:00:00Z has no snapshot',
];

test('human view: blocks per domain with something to say, then the summary', () => {
  assert.equal(
    renderPlanText(fixturePlan(), { long: false, color: false }),
    [
      'db-1:', ...DB_FINDINGS, '',
      'web-1 (3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10):', ...WEB_ACTIONS, '',
      '1 foreign snapshot, untouched (-l lists them).',
      'Plan: 1 to create, 3 to delete, 2 findings.', '',
    ].join('\n'),
  );
});

test('human view, long: kept snapshots with the rules keeping them, every domain', () => {
  assert.equal(
    renderPlanText(fixturePlan(), { long: true, color: false }),
    [
      'db-1:', '  = retired-20261101T000000Z: kept (orphaned)', ...DB_FINDINGS, '',
      'idle:', '  = web-hourly-20261126T040000Z: kept (keepLast, keepDaily, newest)', '',
      // -l adds the room each merge needs
      'web-1 (3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10):', ...WEB_ACTIONS.map((l) => l.replace(/stream (\S+ MiB) into its child \(block-stream\)/, 'stream $1 into its child (block-stream), needs ~$1 free')),
      '  = before-upgrade: kept (foreign)', '  = web-hourly-20261126T030000Z: kept (keepLast)', '',
      '1 foreign snapshot, untouched.',
      'Plan: 1 to create, 3 to delete, 2 findings.', '',
    ].join('\n'),
  );
});

test('no changes: only the summary line', () => {
  const d = domain('a');
  const p = plan({ policies: [policy('p')], observed: observed([d], [slotSnap(d, 'p', '2026-11-26T04:00:00Z')]), now: new Date('2026-11-26T04:20:00Z'), limits: { maxDeletes: 5 } });
  assert.equal(renderPlanText(p, { long: false, color: false }), 'Plan: 0 to create, 0 to delete, 0 findings.\n');
  assert.equal(renderPlanDiff(p, { color: false }), 'Plan: 0 to create, 0 to delete, 0 findings.\n');
});

test('colour only when asked', () => {
  const text = renderPlanText(fixturePlan(), { long: false, color: true });
  assert.ok(text.includes(`\u001b[32m${WEB_ACTIONS[3]}\u001b[0m`));
  assert.ok(text.includes(`\u001b[31m${WEB_ACTIONS[0]}\u001b[0m`));
  assert.ok(text.includes(`\u001b[33m${DB_FINDINGS[0]}\u001b[0m`));
  assert.ok(!renderPlanText(fixturePlan(), { long: false, color: false }).includes('\u001b['));
  assert.equal(wantColor({ isTTY: true }, {}), true);
  assert.equal(wantColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(wantColor({ isTTY: false }, {}), false);
  assert.equal(wantColor({}, {}), false);
});

test('diff view: each changed domain before → after as a unified diff', () => {
  assert.equal(
    renderPlanDiff(fixturePlan(), { color: false }),
    [
      '--- a/web-1',
      '+++ b/web-1',
      '@@ -1,5 +1,3 @@',
      ' before-upgrade',
      '-web-hourly-20261126T000000Z',
      '-web-hourly-20261126T010000Z',
      '-web-hourly-20261126T020000Z',
      ' web-hourly-20261126T030000Z',
      '+web-hourly-20261126T040000Z',
      '',
      'Plan: 1 to create, 3 to delete, 2 findings.',
      '',
    ].join('\n'),
  );
});

test('JSON view is the Plan object, and the human view renders from the parsed JSON alike', () => {
  const p = fixturePlan();
  const json = renderPlanJson(p);
  assert.deepEqual(JSON.parse(json), p);
  assert.equal(renderPlanText(JSON.parse(json), { long: true, color: false }), renderPlanText(p, { long: true, color: false }));
  assert.deepEqual(Object.keys(JSON.parse(json)), ['formatVersion', 'at', 'fingerprint', 'scope', 'policies', 'actions', 'kept', 'findings']);
});

test('formatBytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(64 << 20), '64.0 MiB');
  assert.equal(formatBytes(3 * 2 ** 40), '3.0 TiB');
});
