// The planner's delete decisions on snapshot graphs (issue 14): table tests on the pure planner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../src/plan/plan.js';
import type { Domain } from '../../src/model/domain.js';
import type { ChainMember, InternalSnapshotInfo, Observed } from '../../src/model/observed.js';
import type { ObservedSnapshot } from '../../src/model/snapshot.js';
import { domain, disk, managed, policy, slotSnap, foreign } from './fixtures.js';

const NOW = new Date('2026-11-26T04:20:00Z');
const LEAF = '/srv/images/xvda.qcow2';
const at = (name: string) => `/srv/images/xvda@${name}.qcow2`;
const MiB = 1 << 20;

function tag(name: string, id = '1'): InternalSnapshotInfo {
  return { id, name, dateSec: 1_764_000_000, dateNsec: 0, vmStateSize: 0, diskSize: null };
}

function img(path: string, backing: string | null, allocatedBytes = MiB, tags: InternalSnapshotInfo[] = [], format = 'qcow2'): ChainMember {
  return { path, format, virtualSize: 1 << 30, allocatedBytes, backing, links: 1, ...(tags.length ? { internal: tags } : {}) };
}

/** One domain, one disk: `chain` leaf first, `branches` anywhere. */
function world(d: Domain, snaps: ObservedSnapshot[], chain: ChainMember[], branches: ChainMember[] = []): Observed {
  return {
    formatVersion: 1,
    domains: [{ domain: d, disks: [{ vdev: 'xvda', leaf: chain[0]!.path, chain, internal: chain[0]!.internal ?? [], ...(branches.length ? { branches } : {}) }] }],
    snapshots: snaps,
    findings: [],
  };
}

const ext = (d: Domain, slot: string, name: string) => slotSnap(d, 'hourly', slot, { frozen: at(name) });
const limits = { maxDeletes: 50, halfGuard: false };

test('after an external revert the side branch keeps reading: h2 is streamed into both its children, never into the new leaf only', () => {
  const d = domain('vm', { state: 'shutoff' });
  const h1 = ext(d, '2026-11-26T01:00:00Z', 'h1');
  const h2 = ext(d, '2026-11-26T02:00:00Z', 'h2');
  const h3 = ext(d, '2026-11-26T03:00:00Z', 'h3');
  const h4 = ext(d, '2026-11-26T04:00:00Z', 'h4');
  const pre = managed(d, null, 'pre-revert-20261126T033000Z', { frozen: at('pre-revert-20261126T033000Z') });
  // h1 ← h2 ← h4 ← leaf is the chain; h2 ← h3 ← pre-revert is the side branch the revert to h2 left
  const o = world(d, [h1, h2, h3, h4, pre], [img(LEAF, at('h4')), img(at('h4'), at('h2')), img(at('h2'), at('h1')), img(at('h1'), null, 8 * MiB)], [
    img(at('h3'), at('h2')),
    img(at('pre-revert-20261126T033000Z'), at('h3')),
  ]);
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 2 })], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions.map((a) => [a.snapshot, a.merge!.disks]), [
    // h2 holds less than h1: it is committed into h1, which takes h2's path (h2's two children read on)
    [h1.name, [{ vdev: 'xvda', image: at('h1'), method: 'commit', child: at('h2'), parent: null, bytesToCopy: MiB, tempBytes: MiB, chainDepthAfter: 3 }]],
    [h2.name, [{
      vdev: 'xvda', image: at('h2'), method: 'stream', parent: null, parentFormat: null,
      children: [{ path: at('h3'), how: 'rebase' }, { path: at('h4'), how: 'rebase' }],
      bytesToCopy: 18 * MiB, tempBytes: 18 * MiB, chainDepthAfter: 2, // h2's path now holds h1's 8 MiB and its own 1
    }]],
  ]);
  assert.deepEqual(p.findings, []);
});

test('while the domain runs, the side branch child is rebased offline and the live child streamed through QMP', () => {
  const d = domain('vm');
  const h2 = ext(d, '2026-11-26T02:00:00Z', 'h2');
  const h3 = ext(d, '2026-11-26T03:00:00Z', 'h3');
  const h4 = ext(d, '2026-11-26T04:00:00Z', 'h4');
  const o = world(d, [h2, h3, h4], [img(LEAF, at('h4')), img(at('h4'), at('h2')), img(at('h2'), null)], [img(at('h3'), at('h2'))]);
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 2 })], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions.map((a) => [a.snapshot, a.merge!.disks.map((s) => s.method === 'stream' && s.children)]), [
    [h2.name, [[{ path: at('h3'), how: 'rebase' }, { path: at('h4'), how: 'block-stream' }]]],
  ]);
});

test('a side-branch end that nothing reads through is removed; its parent then has one child left', () => {
  const d = domain('vm', { state: 'shutoff' });
  const h3 = ext(d, '2026-11-26T03:00:00Z', 'h3');
  const h4 = ext(d, '2026-11-26T04:00:00Z', 'h4');
  const pre = managed(d, null, 'pre-revert-x', { frozen: at('pre-revert-x') });
  const o = world(d, [h3, h4, pre], [img(LEAF, at('h4')), img(at('h4'), null)], [img(at('h3'), at('h4')), img(at('pre-revert-x'), at('h3'))]);
  // keepLast 1 with the due 04:00 slot filled: h3 goes; pre-revert is manual and stays — h3 has a child
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 1 })], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions.map((a) => [a.snapshot, a.merge!.disks[0]!.method, a.merge!.disks[0]!.method === 'stream' ? a.merge!.disks[0]!.children : null]), [
    [h3.name, 'stream', [{ path: at('pre-revert-x'), how: 'rebase' }]],
  ]);
  // once the pre-revert snapshot is gone, h3 is the end of its branch: removing the file is all
  const o2 = world(d, [h3, h4], [img(LEAF, at('h4')), img(at('h4'), null)], [img(at('h3'), at('h4'))]);
  const p2 = plan({ policies: [policy('hourly', {}, { keepLast: 1 })], observed: o2, now: NOW, limits });
  assert.deepEqual(p2.actions.map((a) => a.merge!.disks), [[{ vdev: 'xvda', image: at('h3'), method: 'remove', bytesToCopy: 0, tempBytes: 0, chainDepthAfter: 2 }]]);
});

function mixture(state: Domain['state']) {
  const d = domain('db', { state });
  const e1 = slotSnap(d, 'nightly', '2026-11-24T00:00:00Z', { frozen: at('e1') });
  const e2 = slotSnap(d, 'nightly', '2026-11-25T00:00:00Z', { frozen: at('e2') });
  const e3 = slotSnap(d, 'nightly', '2026-11-26T00:00:00Z', { frozen: at('e3') });
  const t1 = managed(d, 'daily', 'daily-1', { type: 'internal', slot: '2026-11-25T01:00:00Z' });
  const t2 = managed(d, 'daily', 'daily-2', { type: 'internal', slot: '2026-11-26T01:00:00Z' });
  // e1 holds daily-1 (taken before e2 froze the leaf), e2 holds daily-2; the leaf holds none
  const o = world(d, [e1, e2, e3, t1, t2], [img(LEAF, at('e3')), img(at('e3'), at('e2')), img(at('e2'), at('e1'), 2 * MiB, [tag('daily-2')]), img(at('e1'), null, MiB, [tag('daily-1')])]);
  const nightly = policy('nightly', { schedule: '0 0 * * *' }, { keepLast: 1 });
  const daily = policy('daily', { schedule: '0 1 * * *', type: 'internal' }, { keepLast: 2 });
  return { p: plan({ policies: [daily, nightly], observed: o, now: NOW, limits }), e1, e2 };
}

test('internal and external on one disk, shut off: tags keep their file; the tagged frozen image takes its child by commit; what cannot go waits with a reason', () => {
  const { p, e1, e2 } = mixture('shutoff');
  assert.deepEqual(p.actions.map((a) => [a.snapshot, a.merge!.disks]), [
    [e2.name, [{ vdev: 'xvda', image: at('e2'), method: 'commit', child: at('e3'), parent: at('e1'), bytesToCopy: MiB, tempBytes: MiB, chainDepthAfter: 3 }]],
  ]);
  const why = `xvda: internal snapshot daily-1 lives in ${at('e1')}, and internal snapshots daily-2 in ${at('e2')} read through it`;
  assert.deepEqual(p.kept.filter((k) => k.rules.includes('unmergeable')).map((k) => [k.snapshot, k.why]), [[e1.name, why]]);
  assert.deepEqual(p.findings.map((f) => [f.kind, f.message]), [
    ['unmergeable', `snapshot ${e1.name} is due for deletion (not kept by keepLast=1) but is kept: ${why}`],
    ['info', 'disk xvda is selected by internal policy daily and external policy nightly: internal snapshots end up inside frozen images, so deleting either kind needs an offline merge that keeps the other exact (a cluster-level merge or a commit), and while the domain runs those deletes wait until it is shut off'],
  ]);
});

test('internal and external on one disk, running: nothing QEMU cannot do exactly is planned, and the plan converges', () => {
  const { p, e1, e2 } = mixture('running');
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.kept.filter((k) => k.rules.includes('unmergeable')).map((k) => [k.snapshot, k.why]), [
    [e1.name, `xvda: internal snapshot daily-1 lives in ${at('e1')}, and internal snapshots daily-2 in ${at('e2')} read through it`],
    [e2.name, `xvda: internal snapshot daily-2 lives in ${at('e2')}; committing ${at('e3')} into it keeps them, but only offline: it is done once the domain is shut off`],
  ]);
});

test('a foreign tag in the leaf before the first external snapshot (golden): its frozen image is deleted by commit offline, kept while running', () => {
  for (const state of ['shutoff', 'running'] as const) {
    const d = domain('web', { state });
    const h1 = ext(d, '2026-11-26T03:00:00Z', 'h1');
    const h2 = ext(d, '2026-11-26T04:00:00Z', 'h2');
    const o = world(d, [h1, h2, foreign(d, 'golden')], [img(LEAF, at('h2')), img(at('h2'), at('h1')), img(at('h1'), null, 4 * MiB, [tag('golden')])]);
    const p = plan({ policies: [policy('hourly', {}, { keepLast: 1 })], observed: o, now: NOW, limits });
    if (state === 'shutoff') {
      assert.deepEqual(p.actions.map((a) => a.merge!.disks), [[{ vdev: 'xvda', image: at('h1'), method: 'commit', child: at('h2'), parent: null, bytesToCopy: MiB, tempBytes: MiB, chainDepthAfter: 2 }]]);
    } else {
      assert.deepEqual(p.actions, []);
      assert.deepEqual(p.findings.map((f) => f.message), [
        `snapshot ${h1.name} is due for deletion (not kept by keepLast=1) but is kept: xvda: internal snapshot golden lives in ${at('h1')}; committing ${at('h2')} into it keeps them, but only offline: it is done once the domain is shut off`,
      ]);
    }
  }
});

test('a tag below the active image of a running domain waits; one on a side branch goes through qemu-img; one in the leaf through QMP', () => {
  const d = domain('vm');
  const daily = policy('daily', { schedule: '0 1 * * *', type: 'internal' }, { keepLast: 1 });
  const t = (n: string, slot: string) => managed(d, 'daily', n, { type: 'internal', slot });
  const snaps = [t('d-chain', '2026-11-23T01:00:00Z'), t('d-side', '2026-11-24T01:00:00Z'), t('d-leaf', '2026-11-25T01:00:00Z'), t('d-new', '2026-11-26T01:00:00Z')];
  const ext1 = managed(d, null, 'm1', { frozen: at('m1') });
  const o = world(d, [...snaps, ext1], [img(LEAF, at('m1'), MiB, [tag('d-leaf', '3'), tag('d-new', '4')]), img(at('m1'), null, MiB, [tag('d-chain', '1')])], [img(at('side'), at('m1'), MiB, [tag('d-side', '2')])]);
  const p = plan({ policies: [daily], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions.map((a) => [a.snapshot, a.merge!.disks.map((s) => s.method === 'delete-tag' && [s.image, s.via])]), [
    ['d-leaf', [[LEAF, 'qmp']]],
    ['d-side', [[at('side'), 'qemu-img']]],
  ]);
  assert.deepEqual(p.kept.filter((k) => k.why).map((k) => [k.snapshot, k.why]), [
    ['d-chain', `xvda: internal snapshot "d-chain" lives in ${at('m1')}, below the active image of the running domain; QEMU deletes internal snapshots only in the active image, so it is deleted once the domain is shut off`],
  ]);
});

test('creates run first: an internal tag the same run puts in the leaf, frozen by the external create after it, turns the delete below into a cluster-level merge', () => {
  const d = domain('vm', { state: 'shutoff' });
  const h4 = ext(d, '2026-11-26T04:00:00Z', 'h4');
  const o = world(d, [h4], [img(LEAF, at('h4')), img(at('h4'), null)]);
  const now = new Date('2026-11-26T05:20:00Z');
  const hourly = policy('hourly', {}, { keepLast: 1 });
  const daily = policy('daily', { schedule: '0 5 * * *', type: 'internal' }, { keepLast: 1 });
  const show = (policies: ReturnType<typeof policy>[]) =>
    plan({ policies, observed: o, now, limits }).actions.map((a) => [a.action, a.snapshot, a.merge?.disks.map((s) => s.method === 'stream' && s.children)]);
  const frozenNow = at('hourly-20261126T050000Z');
  // (listed by policy, then snapshot; the executor runs a domain's creates before its deletes)
  assert.deepEqual(show([hourly]), [
    ['delete', h4.name, [[{ path: frozenNow, how: 'rebase' }]]],
    ['create', 'hourly-20261126T050000Z', undefined],
  ]);
  assert.deepEqual(show([daily, hourly]), [
    ['create', 'daily-20261126T050000Z', undefined],
    ['delete', h4.name, [[{ path: frozenNow, how: 'cluster' }]]],
    ['create', 'hourly-20261126T050000Z', undefined],
  ]);
});

test('an image another domain reads (a shared base) is never merged away', () => {
  const d = domain('vm', { state: 'shutoff' });
  const h1 = ext(d, '2026-11-26T03:00:00Z', 'h1');
  const h2 = ext(d, '2026-11-26T04:00:00Z', 'h2');
  const o = world(d, [h1, h2], [img(LEAF, at('h2')), img(at('h2'), at('h1')), img(at('h1'), null)]);
  o.domains[0]!.disks[0]!.sharedWith = [{ path: at('h1'), by: [{ domain: 'clone-1', vdev: 'xvda' }] }];
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 1 })], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.kept.filter((k) => k.why).map((k) => k.why), [`xvda: ${at('h1')} is also read by clone-1 xvda`]);
});

test('VHD chains: a frozen image with two children (after a revert) is streamed natively into both', () => {
  const d = domain('vm', { state: 'running', disks: [disk('xvda', { path: '/srv/images/xvda.vhd', format: 'vhd', backend: 'tap' })] });
  const v = (n: string) => `/srv/images/xvda@${n}.vhd`;
  const h2 = slotSnap(d, 'hourly', '2026-11-26T02:00:00Z', { frozen: v('h2') });
  const h3 = slotSnap(d, 'hourly', '2026-11-26T03:00:00Z', { frozen: v('h3') });
  const h4 = slotSnap(d, 'hourly', '2026-11-26T04:00:00Z', { frozen: v('h4') });
  for (const s of [h2, h3, h4]) s.disks[0] = { ...s.disks[0]!, format: 'vhd', backend: 'tap' };
  const o = world(d, [h2, h3, h4], [img('/srv/images/xvda.vhd', v('h4'), MiB, [], 'vhd'), img(v('h4'), v('h2'), MiB, [], 'vhd'), img(v('h2'), null, MiB, [], 'vhd')], [img(v('h3'), v('h2'), MiB, [], 'vhd')]);
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 2 })], observed: o, now: NOW, limits });
  assert.deepEqual(p.actions.map((a) => a.merge!.disks.map((s) => s.method === 'stream' && s.children)), [[[{ path: v('h3'), how: 'vhd-stream' }, { path: v('h4'), how: 'vhd-stream' }]]]);
});

test('a delete whose merge does not fit its filesystem is held with a capacity finding; others go; two domains count each other\'s largest merge', () => {
  const fs = { id: '0:42', mount: '/srv', freeBytes: 50 * MiB, totalBytes: 10_000 * MiB, paths: [] };
  const mk = (name: string, alloc: number) => {
    const d = domain(name, { state: 'shutoff', key: `name-${name}` });
    const h1 = ext(d, '2026-11-26T03:00:00Z', 'h1');
    const h2 = ext(d, '2026-11-26T04:00:00Z', 'h2');
    const leaf = `/srv/${name}.qcow2`;
    const f = (n: string) => `/srv/${name}@${n}.qcow2`;
    h1.disks[0]!.frozenPath = f('h1');
    h2.disks[0]!.frozenPath = f('h2');
    const chain = [img(leaf, f('h2'), MiB), img(f('h2'), f('h1'), alloc + MiB), img(f('h1'), null, alloc)].map((m) => ({ ...m, fs: fs.id }));
    return { d, snaps: [h1, h2], disk: { vdev: 'xvda', leaf, chain, internal: [] } };
  };
  const a = mk('a', 10 * MiB);
  const b = mk('b', 15 * MiB);
  const c = mk('c', 30 * MiB);
  const o: Observed = {
    formatVersion: 1,
    domains: [a, b, c].map((x) => ({ domain: x.d, disks: [x.disk] })),
    snapshots: [a, b, c].flatMap((x) => x.snaps),
    findings: [],
    filesystems: [fs],
  };
  const p = plan({ policies: [policy('hourly', {}, { keepLast: 1 })], observed: o, now: NOW, limits });
  // a needs 10 MiB (+16 MiB margin) of 50; b 15 of the 40 a leaves; c's 30 does not fit in the 25 left next to them
  assert.deepEqual(p.actions.map((x) => x.domain.name), ['a', 'b']);
  assert.deepEqual(p.capacity!.heldDeletes, [{ domain: { key: 'name-c', uuid: null, name: 'c' }, policy: 'hourly', snapshot: 'hourly-20261126T030000Z', fs: '0:42', neededBytes: 30 * MiB, freeBytes: 25 * MiB }]);
  assert.deepEqual(p.findings.map((f) => [f.kind, f.domain!.name, f.message]), [
    ['capacity', 'c', 'snapshot hourly-20261126T030000Z is not deleted in this run: merging it needs about 30.0 MiB on /srv, which has 25.0 MiB free for it'],
  ]);
});
