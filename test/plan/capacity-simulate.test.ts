import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, spaceHeld } from '../../src/plan/simulate.js';
import { renderSimulateJson, renderSimulateText } from '../../src/render/simulate-text.js';
import { policy } from './fixtures.js';

const GiB = 1024 ** 3;
const hourly3 = () => policy('h', { schedule: '0 * * * *' }, { keepLast: 3 });

test('simulate: peak snapshots and the space held at the peak', () => {
  // slots 00..10: 1, 2, 3 snapshots, then 3 (one made, one deleted) each hour.
  // Just before a slot's plan the snapshots and leaf hold growth × (slot − oldest):
  // 03:00 → 3 h (oldest 00:00) is the first maximum; at the end (10:00, oldest 08:00) 2 h.
  const r = simulate({ policy: hourly3(), from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T10:00:00Z'), diskGrowthBytesPerHour: GiB });
  assert.deepEqual([r.created, r.survivors.length, r.peakSnapshots, r.peakSnapshotsAt], [11, 3, 3, '2026-01-01T02:00:00Z']);
  assert.deepEqual(r.space, { growthBytesPerHour: GiB, peakBytes: 3 * GiB, peakAt: '2026-01-01T03:00:00Z' });
  assert.equal(
    renderSimulateJson(r),
    `${JSON.stringify(
      {
        formatVersion: 1, policy: 'h', from: '2026-01-01T00:00:00Z', to: '2026-01-01T10:00:00Z', created: 11,
        survivors: ['2026-01-01T08:00:00Z', '2026-01-01T09:00:00Z', '2026-01-01T10:00:00Z'],
        peakSnapshots: 3, peakSnapshotsAt: '2026-01-01T02:00:00Z', diskGrowthBytesPerHour: GiB, peakHeldBytes: 3 * GiB, peakHeldAt: '2026-01-01T03:00:00Z',
      },
      null,
      2,
    )}\n`,
  );
  assert.equal(
    renderSimulateText(r, { color: false }).split('\n').slice(0, 5).join('\n'),
    [
      'Policy h, 2026-01-01T00:00:00Z → 2026-01-01T10:00:00Z',
      '  11 created, 3 survive, 8 deleted',
      '  peak: 3 snapshots (first at 2026-01-01T02:00:00Z)',
      '  space held at its peak: ~3.0 GiB (at 2026-01-01T03:00:00Z), at 1.0 GiB/h of new data',
      '    (each snapshot holds what was written since the one before it, the leaf what was written since the newest)',
    ].join('\n'),
  );
});

test('simulate: the end of the span counts when the last slot is long past', () => {
  // daily at 03:00 keepLast 2, ending at 23:00 on day 2: before day 2's slot 24 h are held, at the end 44 h
  const r = simulate({ policy: policy('d', { schedule: '0 3 * * *' }, { keepLast: 2 }), from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-02T23:00:00Z'), diskGrowthBytesPerHour: 50 * 1024 ** 2 });
  assert.deepEqual([r.peakSnapshots, r.peakSnapshotsAt], [2, '2026-01-02T03:00:00Z']);
  assert.deepEqual(r.space, { growthBytesPerHour: 50 * 1024 ** 2, peakBytes: 44 * 50 * 1024 ** 2, peakAt: '2026-01-02T23:00:00Z' });
  assert.equal(spaceHeld(3600, 0, 1800_000), 1800);
});

test('simulate without a growth rate: peak is data, the views are unchanged', () => {
  const r = simulate({ policy: hourly3(), from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T10:00:00Z') });
  assert.deepEqual([r.peakSnapshots, r.space], [3, undefined]);
  assert.equal(Object.keys(JSON.parse(renderSimulateJson(r))).join(','), 'formatVersion,policy,from,to,created,survivors');
});
