import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinSnapshots, foreignNameOf, type DiskReading } from '../../src/observe/join-snapshots.js';
import type { Domain } from '../../src/model/domain.js';
import type { SnapshotRecord } from '../../src/model/snapshot.js';

const domain: Domain = {
  key: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
  uuid: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
  name: 'web-3',
  state: 'shutoff',
  disks: [
    { vdev: 'xvda', path: '/img/web-3-xvda.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false },
    { vdev: 'xvdb', path: '/img/web-3-xvdb.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false },
  ],
};

function record(name: string, type: 'internal' | 'external', disks: SnapshotRecord['disks']): SnapshotRecord {
  return {
    formatVersion: 1, name, description: '', domain: { uuid: domain.uuid, name: domain.name },
    createdAt: '2026-11-26T04:00:05.000Z', slot: '2026-11-26T04:00:00.000Z', policy: 'web-hourly', policyRevision: null,
    deletionPolicy: 'Retain', managedBy: 'xensnap', mode: 'disk-only', type, domainState: 'shutoff', memoryFile: null, pinned: false, disks,
  };
}

function member(path: string, backing: string | null, allocatedBytes = 1000) {
  return { path, format: 'qcow2', virtualSize: 1 << 20, allocatedBytes, backing };
}

function reading(vdev: string, chain: ReturnType<typeof member>[], internal: { name: string; dateSec: number }[]): DiskReading {
  return {
    disk: { vdev, leaf: chain[0]!.path, chain, internal: internal.map((s, i) => ({ id: String(i + 1), name: s.name, dateSec: s.dateSec, dateNsec: 0, vmStateSize: 0, diskSize: 1 << 20 })) },
    mtimes: new Map(chain.map((m) => [m.path, Date.UTC(2026, 10, 1)])),
  };
}

test('records claim their tags and frozen files; the rest is foreign, and no finding', () => {
  const a = '/img/web-3-xvda.qcow2';
  const aFrozen = '/img/web-3-xvda@web-hourly-20261126T040000Z.qcow2';
  const aForeign = '/img/web-3-xvda@before-upgrade.qcow2';
  const disks = [
    reading('xvda', [member(a, aFrozen), member(aFrozen, aForeign, 5000), member(aForeign, null, 7000)], [{ name: 'manual-tag', dateSec: 1_700_000_000 }]),
    reading('xvdb', [member('/img/web-3-xvdb.qcow2', null)], [{ name: 'manual-tag', dateSec: 1_700_000_100 }]),
  ];
  const records = [
    record('web-hourly-20261126T040000Z', 'external', [
      { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: aFrozen },
    ]),
  ];
  const { snapshots, findings } = joinSnapshots({ domain, disks, records, recordProblems: [] });
  assert.deepEqual(
    snapshots.map((s) => [s.name, s.managed, s.type, s.createdAt, s.sizeBytes ?? null, s.disks.map((d) => d.tag ?? d.frozenPath)]),
    [
      ['manual-tag', false, 'internal', '2023-11-14T22:13:20.000Z', null, ['manual-tag', 'manual-tag']],
      ['before-upgrade', false, 'external', '2026-11-01T00:00:00.000Z', 7000, [aForeign]],
      ['web-hourly-20261126T040000Z', true, 'external', '2026-11-26T04:00:05.000Z', 5000, [aFrozen]],
    ],
  );
  // foreign snapshots are listed (above) and kept; they are not findings: nothing is to act on
  assert.deepEqual(findings.map((f) => [f.kind, f.message]), []);
});

test('a record whose image part is gone is reported, and kept as managed', () => {
  const disks = [reading('xvda', [member('/img/web-3-xvda.qcow2', null)], [])];
  const records = [
    record('web-hourly-20261126T040000Z', 'internal', [
      { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'web-hourly-20261126T040000Z' },
      { vdev: 'xvdc', format: 'qcow2', backend: 'qdisk', tag: 'web-hourly-20261126T040000Z' },
    ]),
    record('web-hourly-20261126T050000Z', 'external', [
      { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: '/img/web-3-xvda@gone.qcow2' },
    ]),
  ];
  const { snapshots, findings } = joinSnapshots({ domain, disks, records, recordProblems: [{ file: '/state/x/snapshotdata-bad.json', message: 'not valid JSON' }] });
  assert.deepEqual(snapshots.map((s) => [s.name, s.managed]), [
    ['web-hourly-20261126T040000Z', true],
    ['web-hourly-20261126T050000Z', true],
  ]);
  assert.deepEqual(findings.map((f) => [f.kind, f.message]), [
    ['corrupt-record', '/state/x/snapshotdata-bad.json: not valid JSON'],
    ['drift-missing-image', 'snapshot "web-hourly-20261126T040000Z": internal snapshot "web-hourly-20261126T040000Z" is missing from the images of xvda (/img/web-3-xvda.qcow2)'],
    ['drift-missing-image', 'snapshot "web-hourly-20261126T040000Z": the domain has no disk xvdc any more'],
    ['drift-missing-image', 'snapshot "web-hourly-20261126T050000Z": frozen image /img/web-3-xvda@gone.qcow2 is not among the images of xvda (/img/web-3-xvda.qcow2)'],
  ]);
});

test('foreign names come from the frozen-image naming scheme when present', () => {
  assert.equal(foreignNameOf('/a/disk@s1.qcow2'), 's1');
  assert.equal(foreignNameOf('/a/disk@s1.2'), 's1');
  assert.equal(foreignNameOf('/a/base-template.qcow2'), 'base-template');
  assert.equal(foreignNameOf('/a/base'), 'base');
});

test('a tag inside a frozen image (taken before an external snapshot) stays visible', () => {
  const leaf = '/img/web-3-xvda.qcow2';
  const frozen = '/img/web-3-xvda@s1.qcow2';
  const r = reading('xvda', [member(leaf, frozen), member(frozen, null)], []);
  r.disk.chain[1]!.internal = [{ id: '1', name: 'golden', dateSec: 1_700_000_000, dateNsec: 0, vmStateSize: 0, diskSize: null }];
  const managed = record('s1', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: frozen }]);
  const claimed = record('old-internal', 'internal', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'kept-tag' }]);
  r.disk.chain[1]!.internal!.push({ id: '2', name: 'kept-tag', dateSec: 1_700_000_001, dateNsec: 0, vmStateSize: 0, diskSize: null });
  const { snapshots, findings } = joinSnapshots({ domain, disks: [r, reading('xvdb', [member('/img/web-3-xvdb.qcow2', null)], [])], records: [managed, claimed], recordProblems: [] });
  assert.deepEqual(snapshots.map((s) => [s.name, s.managed, s.disks]), [
    ['golden', false, [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'golden', image: frozen }]],
    ['old-internal', true, claimed.disks],
    ['s1', true, managed.disks],
  ]);
  assert.deepEqual(findings.map((f) => f.message), []);
});

test('side-branch images (after a revert) are snapshots of the disk: recorded ones are managed, their tags are found, the rest is foreign', () => {
  const base = '/img/web-3-xvda@h2.qcow2';
  const r = reading('xvda', [member('/img/web-3-xvda.qcow2', base), member(base, null)], []);
  const side = '/img/web-3-xvda@h3.qcow2';
  const pre = '/img/web-3-xvda@pre-revert-20261126T050000Z.qcow2';
  const stray = '/img/web-3-xvda@someone-elses.qcow2';
  r.disk.branches = [member(pre, side), member(side, base), member(stray, base)];
  r.disk.branches[1]!.internal = [{ id: '1', name: 'tag-in-side', dateSec: 1_700_000_000, dateNsec: 0, vmStateSize: 0, diskSize: null }];
  const records = [
    record('h2', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: base }]),
    record('h3', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: side }]),
    record('pre-revert-20261126T050000Z', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: pre }]),
    record('tag-in-side', 'internal', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'tag-in-side', image: side }]),
  ];
  const { snapshots, findings } = joinSnapshots({ domain, disks: [r], records, recordProblems: [] });
  assert.deepEqual(snapshots.map((s) => [s.name, s.managed, s.sizeBytes ?? null]), [
    ['someone-elses', false, 1000],
    ['h2', true, 1000],
    ['h3', true, 1000],
    ['pre-revert-20261126T050000Z', true, 1000],
    ['tag-in-side', true, null],
  ]);
  assert.deepEqual(findings.map((f) => [f.kind, f.message]), [], 'a foreign side-branch image is listed as foreign, not a finding');
});

test('a recorded frozen image that is in no image of the disk is drift', () => {
  const disks = [reading('xvda', [member('/img/web-3-xvda.qcow2', null)], [])];
  const gone = '/img/web-3-xvda@gone.qcow2';
  const records = [record('gone', 'external', [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: gone }])];
  const { findings } = joinSnapshots({ domain, disks, records, recordProblems: [] });
  assert.deepEqual(findings.map((f) => [f.kind, f.message]), [
    ['drift-missing-image', `snapshot "gone": frozen image ${gone} is not among the images of xvda (/img/web-3-xvda.qcow2)`],
  ]);
});
