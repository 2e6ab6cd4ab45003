// The storage guard on a real 16 MiB tmpfs holding a real qcow2 chain, observed for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Domain } from '../../src/model/domain.js';
import type { Observed } from '../../src/model/observed.js';
import { observe } from '../../src/observe/observe.js';
import { nativeImageReader } from '../../src/observe/native-image-reader.js';
import { attachCapacity } from '../../src/observe/free-space.js';
import { plan } from '../../src/plan/plan.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { parsePlanFile } from '../../src/plan/plan-file.js';
import { renderListTree } from '../../src/render/list-view.js';
import { policy, slotSnap } from './fixtures.js';

const MiB = 1048576;
const NOW = new Date('2026-01-01T12:00:00Z');
const S1 = '2026-01-01T10:00:00Z';
const S2 = '2026-01-01T11:00:00Z';
const LIMITS = { minFreePercent: 10, minFreeBytes: 0, maxChainDepth: 30 };

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: 'pipe' });
const alloc = async (p: string) => (await stat(p)).blocks * 512;

/** tmpfs "DIR/vm images": web@hourly-S1 (1 MiB written) ← web@hourly-S2 ← web.qcow2, 1 GiB each. */
async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-cap-'));
  const dir = join(base, 'vm images');
  await mkdir(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
  t.after(async () => {
    execFileSync('umount', [dir]);
    await rm(base, { recursive: true, force: true });
  });
  const f1 = join(dir, 'web@hourly-20260101T100000Z.qcow2');
  const f2 = join(dir, 'web@hourly-20260101T110000Z.qcow2');
  const leaf = join(dir, 'web.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', f1, '1G');
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 7 0 1M', f1], { stdio: 'pipe' });
  qemuImg('create', '-q', '-f', 'qcow2', '-b', f1, '-F', 'qcow2', f2);
  qemuImg('create', '-q', '-f', 'qcow2', '-b', f2, '-F', 'qcow2', leaf);
  const web: Domain = { key: 'name-web', uuid: null, name: 'web', state: 'shutoff', disks: [{ vdev: 'xvda', path: leaf, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };
  const records = [slotSnap(web, 'hourly', S1, { frozen: f1 }).record!, slotSnap(web, 'hourly', S2, { frozen: f2 }).record!];
  const stateDir = join(dir, 'state');
  const look = async (): Promise<Observed> => {
    const o = await observe([web], { reader: nativeImageReader, records: { read: async () => ({ records, problems: [] }) } });
    await attachCapacity(o, stateDir, LIMITS);
    return o;
  };
  return { dir, f1, f2, leaf, look };
}

const hourly = policy('hourly', { schedule: '0 * * * *' }, { keepLast: 1 });

test('capacity: enough room plans the create with its estimate; JSON carries estimates and frees', async (t) => {
  const fx = await fixture(t);
  const observed = await fx.look();
  assert.equal(observed.filesystems!.length, 1);
  const fs = observed.filesystems![0]!;
  assert.deepEqual([fs.mount, fs.totalBytes, observed.stateDir], [fx.dir, 16 * MiB, { path: join(fx.dir, 'state'), fs: fs.id }]);
  const p = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10, halfGuard: false } });
  // keepLast 1 with the new snapshot: both old ones go (each delete frees F's allocation minus what its merge copies)
  const a1 = await alloc(fx.f1);
  const a2 = await alloc(fx.f2);
  const al = await alloc(fx.leaf);
  assert.ok(a1 > MiB && a2 < a1 && al === a2, `fixture sizes ${a1} ${a2} ${al}`);
  const json = JSON.parse(renderPlanJson(p));
  assert.deepEqual(
    json.actions.map((a: Record<string, unknown>) => [a.action, a.snapshot, a.estimate, a.frees, a.merge]),
    [
      // decided after the create froze the leaf (4 images deep): F1's child F2 holds less, so F2 is committed into F1
      ['delete', 'hourly-20260101T100000Z', undefined, a1 - a2, {
        method: 'commit', bytesToCopy: a2, tempBytes: a2, chainDepthAfter: 3,
        disks: [{ vdev: 'xvda', image: fx.f1, method: 'commit', child: fx.f2, parent: null, bytesToCopy: a2, tempBytes: a2, chainDepthAfter: 3 }],
      }],
      // then F2's path holds the merged image, and the frozen old leaf above it is committed into it
      ['delete', 'hourly-20260101T110000Z', undefined, 0, {
        method: 'commit', bytesToCopy: al, tempBytes: al, chainDepthAfter: 2,
        disks: [{ vdev: 'xvda', image: fx.f2, method: 'commit', child: join(fx.dir, 'web@hourly-20260101T120000Z.qcow2'), parent: null, bytesToCopy: al, tempBytes: al, chainDepthAfter: 2 }],
      }],
      ['create', 'hourly-20260101T120000Z', { bytes: 262144 }, undefined, undefined],
    ],
  );
  assert.deepEqual(json.capacity, {
    filesystems: [{ id: fs.id, mount: fx.dir, freeBytes: fs.freeBytes, totalBytes: 16 * MiB, limitBytes: 1677722, createBytes: 262144, freesBytes: a1 - a2 }],
    held: [],
  });
  assert.deepEqual(p.findings, []);
  // a saved plan with estimates still reads back
  assert.deepEqual(parsePlanFile(renderPlanJson(p), 'p.json'), json);
  const long = renderPlanText(p, { long: true, color: false });
  assert.ok(long.includes('  + hourly-20260101T120000Z [hourly; disk-only; external; xvda; needs ~256.0 KiB]: due: slot 2026-01-01T12:00:00Z has no snapshot\n'), long);
  assert.ok(long.includes(`storage:\n  ${fx.dir}: `), long);
  assert.ok(!renderPlanText(p, { long: false, color: false }).includes('needs ~'));
});

test('capacity: below minFreePercent the create is held with a finding naming the mount; deletes still go', async (t) => {
  const fx = await fixture(t);
  const before = (await fx.look()).filesystems![0]!.freeBytes;
  // leave exactly 1.75 MiB free: minus the create's 256 KiB that is under 10% of 16 MiB
  await writeFile(join(fx.dir, 'filler'), Buffer.alloc(before - 1.75 * MiB, 1));
  const observed = await fx.look();
  assert.equal(observed.filesystems![0]!.freeBytes, 1.75 * MiB);
  const p = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10 } });
  assert.deepEqual(p.findings, [
    {
      kind: 'capacity',
      domain: { uuid: null, name: 'web' },
      message: `policy hourly: snapshot hourly-20260101T120000Z is not created: filesystem ${fx.dir} has 1.8 MiB free of 16.0 MiB; this create needs about 256.0 KiB and would leave less than the limit of 1.6 MiB (limits.minFreePercent=10)`,
    },
  ]);
  // retention runs without the held create: keepLast 1 keeps the newest, the older one is deleted
  assert.deepEqual(p.actions.map((a) => `${a.action} ${a.snapshot}`), ['delete hourly-20260101T100000Z']);
  assert.deepEqual(p.kept.map((k) => `${k.snapshot} ${k.rules.join(',')}`), ['hourly-20260101T110000Z keepLast,newest']);
  assert.equal(p.capacity!.filesystems[0]!.createBytes, 0);
  assert.deepEqual(p.capacity!.held, [{ domain: { key: 'name-web', uuid: null, name: 'web' }, policy: 'hourly', snapshot: 'hourly-20260101T120000Z', reason: 'free-space', fs: observed.filesystems![0]!.id }]);

  // minFreeBytes binds when it is the larger limit; a lower percentage lets the create through
  const bytes = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10, minFreePercent: 1, minFreeBytes: 2 * MiB } });
  assert.deepEqual(bytes.findings.map((f) => f.message), [
    `policy hourly: snapshot hourly-20260101T120000Z is not created: filesystem ${fx.dir} has 1.8 MiB free of 16.0 MiB; this create needs about 256.0 KiB and would leave less than the limit of 2.0 MiB (limits.minFreeBytes=2097152)`,
  ]);
  const ok = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10, halfGuard: false, minFreePercent: 5 } });
  assert.deepEqual(ok.actions.map((a) => `${a.action} ${a.snapshot}`), ['delete hourly-20260101T100000Z', 'delete hourly-20260101T110000Z', 'create hourly-20260101T120000Z']);
  assert.deepEqual(ok.findings, []);
});

test('chain depth: a chain at maxChainDepth refuses one more external create; list --tree shows the depth', async (t) => {
  const fx = await fixture(t);
  const observed = await fx.look();
  const at3 = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10, maxChainDepth: 3 } });
  assert.deepEqual(at3.findings, [
    {
      kind: 'capacity',
      domain: { uuid: null, name: 'web' },
      message: 'policy hourly: snapshot hourly-20260101T120000Z is not created: disk xvda has a chain 3 images deep and limits.maxChainDepth is 3; another external snapshot would make it 4',
    },
  ]);
  assert.deepEqual(at3.actions.map((a) => `${a.action} ${a.snapshot}`), ['delete hourly-20260101T100000Z']);
  assert.deepEqual(at3.capacity!.held, [{ domain: { key: 'name-web', uuid: null, name: 'web' }, policy: 'hourly', snapshot: 'hourly-20260101T120000Z', reason: 'chain-depth', vdev: 'xvda' }]);
  const at4 = plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10, maxChainDepth: 4 } });
  assert.deepEqual(at4.actions.map((a) => a.action), ['create']);
  // internal snapshots do not lengthen the chain: no depth check
  const internal = plan({ policies: [policy('hourly', { type: 'internal' }, { keepLast: 5 })], observed, now: NOW, limits: { maxDeletes: 10, maxChainDepth: 3 } });
  assert.deepEqual(internal.actions.map((a) => [a.action, a.estimate]), [['create', { bytes: 196608 }]]);
  // the observation's own limits apply when the plan input sets none
  observed.limits = { ...LIMITS, maxChainDepth: 3 };
  assert.deepEqual(plan({ policies: [hourly], observed, now: NOW, limits: { maxDeletes: 10 } }).findings, at3.findings);
  assert.ok(renderListTree(observed).includes(`  xvda: ${fx.leaf} (depth 3)\n`));
});
