// The snapshot-graph issue's "Why", end to end through the CLI on real qcow2 images: every other
// snapshot's full content exported before each change and compared after (graph-oracle.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAll, sameSnapshots, snapshotContents } from '../util/graph-oracle.js';
import { graphWorld, policyYaml } from './graph-world.js';

const MiB = 1 << 20;
const KiB = 1024;

/** What `apply --at` is expected to leave: `before` plus the frozen images its creates add, minus `gone`. */
function expectAfter(before: Map<string, string>, created: Record<string, string>, gone: string[]): Map<string, string> {
  const out = new Map([...before].filter(([k]) => !gone.includes(k)));
  for (const [frozen, leaf] of Object.entries(created)) out.set(`file:${frozen}`, before.get(`file:${leaf}`)!);
  return out;
}

test('after an external revert, retention keeps the side branch readable: the frozen image both branches read is merged into both', async (t) => {
  const w = await graphWorld(t);
  await w.policies(policyYaml('hourly', { type: 'external', schedule: '0 * * * *', retention: 'keepLast: 10' }));
  for (const h of [1, 2, 3]) {
    await w.write('xvda', 0x10 + h, h * MiB, 64 * KiB);
    await w.write('xvdb', 0x20 + h, (h + 4) * MiB, 128 * KiB);
    const r = await w.xensnap('apply', '--yes', '--at', `2026-11-26T0${h}:00:00Z`);
    assert.deepEqual([r.code, r.err], [0, ''], r.out);
  }
  const rv = await w.xensnap('revert', 'vm', 'hourly-20261126T020000Z', '--yes');
  assert.equal(rv.code, 0, rv.out + rv.err);
  await w.write('xvda', 0x31, 0, 4 * KiB); // the guest writes after the revert
  await w.policies(policyYaml('hourly', { type: 'external', schedule: '0 * * * *', retention: 'keepLast: 2' }));
  const before = await snapshotContents(w.images);
  const p = await w.xensnap('plan', '--json', '--at', '2026-11-26T04:00:00Z');
  const planned = JSON.parse(p.out);
  const h2 = planned.actions.find((a: { snapshot: string }) => a.snapshot === 'hourly-20261126T020000Z');
  const pre = [...before.keys()].find((k) => k.includes('@pre-revert-'))!.slice('file:'.length);
  // h2 is read by the side branch (h3, then the pre-revert snapshot) and by the new leaf, which this
  // run's create freezes as h4 first: both get its data
  assert.deepEqual(h2.merge.disks.map((s: { vdev: string; method: string; children: { path: string }[] }) => [s.vdev, s.method, s.children.map((c) => c.path)]), [
    ['xvda', 'stream', [w.frozen('xvda', 'hourly-20261126T030000Z'), w.frozen('xvda', 'hourly-20261126T040000Z')]],
    ['xvdb', 'stream', [w.frozen('xvdb', 'hourly-20261126T030000Z'), w.frozen('xvdb', 'hourly-20261126T040000Z')]],
  ]);
  const r = await w.xensnap('apply', '--yes', '--at', '2026-11-26T04:00:00Z');
  assert.deepEqual([r.code, r.err], [0, ''], r.out);
  const h = (n: number, v: string) => `file:${w.frozen(v, `hourly-20261126T0${n}0000Z`)}`;
  const expected = expectAfter(before, { [w.frozen('xvda', 'hourly-20261126T040000Z')]: w.leaf('xvda'), [w.frozen('xvdb', 'hourly-20261126T040000Z')]: w.leaf('xvdb') }, [h(1, 'xvda'), h(1, 'xvdb'), h(2, 'xvda'), h(2, 'xvdb')]);
  assert.deepEqual(sameSnapshots(expected, await snapshotContents(w.images), []), []);
  assert.ok((await snapshotContents(w.images)).has(`file:${pre}`), 'the pre-revert snapshot is still there');
  assert.deepEqual(await checkAll(w.images), []);
  const again = await w.xensnap('plan', '--detailed-exitcode', '--at', '2026-11-26T04:00:00Z');
  assert.equal(again.code, 0, again.out);
});

interface ApplyJson {
  results: { status: string; action: { action: string; snapshot: string; type: string; disks: string[] } }[];
}

/** `apply --json --at`, asserting success; returns the oracle keys its deletes remove and its external creates add. */
async function applyAt(w: Awaited<ReturnType<typeof graphWorld>>, at: string): Promise<{ gone: string[]; created: Record<string, string>; deletes: string[] }> {
  const r = await w.xensnap('apply', '--yes', '--json', '--at', at);
  assert.deepEqual([r.code, r.err], [0, ''], r.out);
  const out: { gone: string[]; created: Record<string, string>; deletes: string[] } = { gone: [], created: {}, deletes: [] };
  for (const x of (JSON.parse(r.out) as ApplyJson).results) {
    assert.equal(x.status, 'ok', JSON.stringify(x));
    const a = x.action;
    if (a.action === 'delete') {
      out.deletes.push(a.snapshot);
      out.gone.push(...(a.type === 'internal' ? [`tag:${a.snapshot}`] : a.disks.map((v) => `file:${w.frozen(v, a.snapshot)}`)));
    } else if (a.type === 'external') for (const v of a.disks) out.created[w.frozen(v, a.snapshot)] = w.leaf(v);
  }
  return out;
}

test('an internal and an external policy on one shut-off disk converge day after day: tags survive every merge, nothing piles up', async (t) => {
  const w = await graphWorld(t, ['xvda']);
  await w.policies([
    policyYaml('nightly', { type: 'external', schedule: '0 3 * * *', retention: 'keepLast: 2' }),
    policyYaml('daily', { type: 'internal', schedule: '30 2 * * *', retention: 'keepLast: 2' }),
  ].join('---\n'));
  const deleted: string[] = [];
  for (let day = 1; day <= 6; day++) {
    for (const [time, pattern] of [['02:30', 0x40 + day], ['03:00', 0x60 + day]] as const) {
      await w.write('xvda', pattern, (day % 8) * 4 * MiB + (time === '03:00' ? MiB : 0), 64 * KiB);
      const at = `2026-11-0${day}T${time}:00Z`;
      const before = await snapshotContents(w.images);
      const done = await applyAt(w, at);
      // internal creates add a tag with the leaf's content
      const expected = expectAfter(before, done.created, done.gone);
      const after = await snapshotContents(w.images);
      for (const k of after.keys()) if (k.startsWith('tag:') && !expected.has(k)) expected.set(k, before.get(`file:${w.leaf('xvda')}`)!);
      assert.deepEqual(sameSnapshots(expected, after, []), [], `day ${day} ${time}`);
      assert.deepEqual(await checkAll(w.images), [], `day ${day} ${time}`);
      const plan = await w.xensnap('plan', '--detailed-exitcode', '--at', at);
      assert.equal(plan.code, 0, `day ${day} ${time}: the plan converges\n${plan.out}`);
      deleted.push(...done.deletes);
    }
  }
  const list = JSON.parse((await w.xensnap('list', '--json')).out) as { snapshots: { name: string; managed: boolean; type: string }[] };
  const kept = list.snapshots.filter((s) => s.managed).map((s) => `${s.type} ${s.name}`).sort();
  assert.deepEqual(kept, [
    'external nightly-20261105T030000Z', 'external nightly-20261106T030000Z',
    'internal daily-20261105T023000Z', 'internal daily-20261106T023000Z',
  ]);
  // (the first apply, at 02:30, also fills the nightly slot of the day before: a catch-up snapshot)
  assert.deepEqual(deleted, [
    'nightly-20261031T030000Z', 'daily-20261101T023000Z', 'nightly-20261101T030000Z', 'daily-20261102T023000Z', 'nightly-20261102T030000Z',
    'daily-20261103T023000Z', 'nightly-20261103T030000Z', 'daily-20261104T023000Z', 'nightly-20261104T030000Z',
  ]);
});

test('a foreign tag in the leaf before the first external snapshot: kept with a reason while the domain runs, merged by commit once it is off', async (t) => {
  const w = await graphWorld(t, ['xvda']);
  await w.write('xvda', 0x51, 0, 2 * MiB);
  const { run } = await import('../../src/util/exec.js');
  await run('qemu-img', ['snapshot', '-c', 'golden', w.leaf('xvda')]);
  const golden = (await snapshotContents(w.images)).get('tag:golden')!;
  await w.policies(policyYaml('hourly', { type: 'external', schedule: '0 * * * *', retention: 'keepLast: 1' }));
  const { startVm } = await import('../util/qemu-vm.js');
  const vm = await startVm({ dir: w.dir, disks: [{ path: w.leaf('xvda'), node: 'xvda' }] });
  t.after(() => vm.stop());
  await w.useQmp(vm.qmpPath);
  await applyAt(w, '2026-11-26T01:00:00Z');
  const second = await applyAt(w, '2026-11-26T02:00:00Z');
  assert.deepEqual(second.deletes, []);
  const plan = await w.xensnap('plan', '--detailed-exitcode', '-l', '--at', '2026-11-26T02:00:00Z');
  assert.equal(plan.code, 0, plan.out);
  const h1 = w.frozen('xvda', 'hourly-20261126T010000Z');
  const h2 = w.frozen('xvda', 'hourly-20261126T020000Z');
  assert.ok(plan.out.includes(`  = hourly-20261126T010000Z: kept (unmergeable): xvda: internal snapshot golden lives in ${h1}; committing ${h2} into it keeps them, but only offline: it is done once the domain is shut off\n`), plan.out);
  assert.ok(plan.out.includes(`  ! unmergeable: snapshot hourly-20261126T010000Z is due for deletion (not kept by keepLast=1) but is kept: xvda: internal snapshot golden lives in ${h1}`), plan.out);
  await vm.stop();
  const before = await snapshotContents(w.images);
  const off = await applyAt(w, '2026-11-26T02:00:00Z');
  assert.deepEqual(off.deletes, ['hourly-20261126T010000Z']);
  assert.deepEqual(sameSnapshots(before, await snapshotContents(w.images), [`file:${h1}`]), []);
  assert.equal((await snapshotContents(w.images)).get('tag:golden'), golden);
  assert.deepEqual(await checkAll(w.images), []);
  assert.equal((await w.xensnap('plan', '--detailed-exitcode', '--at', '2026-11-26T02:00:00Z')).code, 0);
});

test('delete previews each disk\'s own method, and the backend runs exactly that', async (t) => {
  const w = await graphWorld(t);
  // xvda: the child holds less than F (commit); xvdb: the child holds more (stream)
  await w.write('xvda', 0x71, 0, 2 * MiB);
  await w.write('xvdb', 0x72, 0, 64 * KiB);
  assert.equal((await w.xensnap('create', 'vm', '-n', 'one')).code, 0);
  await w.write('xvda', 0x73, 4 * MiB, 64 * KiB);
  await w.write('xvdb', 0x74, 4 * MiB, 2 * MiB);
  assert.equal((await w.xensnap('create', 'vm', '-n', 'two')).code, 0);
  const before = await snapshotContents(w.images);
  const d = await w.xensnap('delete', 'vm', 'one', '--yes');
  assert.equal(d.code, 0, d.err);
  const lines = d.out.split('\n');
  assert.equal(lines[0], 'Delete snapshot one of vm (manual, external, disks xvda, xvdb):');
  assert.match(lines[1]!, /^ {2}xvda commit \d+(\.\d)? KiB from its child, needs ~\d+(\.\d)? KiB free, chain depth 2 after$/);
  assert.match(lines[2]!, /^ {2}xvdb stream \d+(\.\d)? (KiB|MiB) into its child \(rebase\), needs ~\d+(\.\d)? (KiB|MiB) free, chain depth 2 after$/);
  assert.deepEqual(lines.slice(3), ['deleted snapshot one of vm', '']);
  assert.deepEqual(sameSnapshots(before, await snapshotContents(w.images), [`file:${w.frozen('xvda', 'one')}`, `file:${w.frozen('xvdb', 'one')}`]), []);
  assert.deepEqual(await checkAll(w.images), []);
});

test('after an external revert the side branch is ordinary graph: its tags are found, and its end is deleted by removing the file', async (t) => {
  const w = await graphWorld(t, ['xvda']);
  await w.write('xvda', 0x81, 0, 64 * KiB);
  assert.equal((await w.xensnap('create', 'vm', '-n', 'base1')).code, 0);
  await w.write('xvda', 0x82, MiB, 64 * KiB);
  assert.equal((await w.xensnap('create', 'vm', '--type', 'internal', '-n', 'tag1')).code, 0);
  assert.equal((await w.xensnap('create', 'vm', '-n', 'side1')).code, 0);
  const rv = await w.xensnap('revert', 'vm', 'base1', '--yes');
  assert.equal(rv.code, 0, rv.out + rv.err);
  // tag1 lives in side1's frozen image, on the side branch now: found, not "missing"
  const list = await w.xensnap('list');
  assert.doesNotMatch(list.out, /drift-missing-image|is missing/);
  const tree = await w.xensnap('list', '--tree');
  assert.match(tree.out, /side1 \[manual\] \(side branch\)/);
  assert.match(tree.out, /• internal "tag1" \[manual\]/);
  const pre = JSON.parse((await w.xensnap('list', '--json')).out).snapshots.find((s: { name: string }) => s.name.startsWith('pre-revert-')).name as string;
  const before = await snapshotContents(w.images);
  const d = await w.xensnap('delete', 'vm', pre, '--yes');
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, new RegExp(`^ {2}xvda remove ${w.frozen('xvda', pre).replace(/[.]/g, '\\.')} \\(nothing reads through it\\), chain depth 2 after$`, 'm'));
  assert.deepEqual(sameSnapshots(before, await snapshotContents(w.images), [`file:${w.frozen('xvda', pre)}`]), []);
  // the internal snapshot on the side branch is deleted in its image
  const di = await w.xensnap('delete', 'vm', 'tag1', '--yes');
  assert.equal(di.code, 0, di.err);
  assert.match(di.out, /^ {2}xvda delete tag tag1 \(qemu-img\)$/m);
  assert.deepEqual(await checkAll(w.images), []);
});

test('a delete whose merge does not fit its filesystem is held with a capacity finding: no ENOSPC reaches apply, and it runs once there is room', async (t) => {
  const w = await graphWorld(t, ['xvda'], { tmpfsMiB: 64 });
  await w.policies(policyYaml('hourly', { type: 'external', schedule: '0 * * * *', retention: 'keepLast: 1' }));
  await w.write('xvda', 0x91, 0, 20 * MiB);
  await applyAt(w, '2026-11-26T01:00:00Z');
  await w.write('xvda', 0x92, 24 * MiB, 20 * MiB); // the child holds as much: the merge streams 20 MiB
  const { statfs, writeFile, rm } = await import('node:fs/promises');
  const filler = `${w.images}/filler`;
  const free = async () => { const s = await statfs(w.images); return s.bavail * s.bsize; };
  await writeFile(filler, Buffer.alloc((await free()) - 14 * MiB, 1));
  const held = await applyAt(w, '2026-11-26T02:00:00Z');
  assert.deepEqual(held.deletes, [], 'the merge needs ~20 MiB and 14 MiB are free');
  const plan = await w.xensnap('plan', '--detailed-exitcode', '--json', '--at', '2026-11-26T02:00:00Z');
  assert.equal(plan.code, 0);
  const p = JSON.parse(plan.out);
  assert.deepEqual(p.findings.filter((f: { kind: string }) => f.kind === 'capacity').map((f: { message: string }) => f.message.replace(/about \S+ \S+|has \S+ \S+ free/g, (m: string) => m.replace(/[\d.]+ \S+/, 'N'))), [
    `snapshot hourly-20261126T010000Z is not deleted in this run: merging it needs about N on ${w.images}, which has N free for it`,
  ]);
  assert.deepEqual(p.capacity.heldDeletes.map((h: { snapshot: string }) => h.snapshot), ['hourly-20261126T010000Z']);
  await rm(filler);
  const before = await snapshotContents(w.images);
  const later = await applyAt(w, '2026-11-26T02:00:00Z');
  assert.deepEqual(later.deletes, ['hourly-20261126T010000Z']);
  assert.deepEqual(sameSnapshots(before, await snapshotContents(w.images), [`file:${w.frozen('xvda', 'hourly-20261126T010000Z')}`]), []);
  assert.deepEqual(await checkAll(w.images), []);
});
