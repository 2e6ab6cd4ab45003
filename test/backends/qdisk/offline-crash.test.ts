// Crash simulation: run an operation's steps up to N (the journal holds the intent of step N,
// which never ran), then recover from the journal alone and check the images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteOffline, recoverOfflineOperation } from '../../../src/backends/qdisk/offline.js';
import { internalCreateSteps } from '../../../src/backends/qdisk/offline-internal.js';
import { recoverQdisk } from '../../../src/backends/qdisk/online-recover.js';
import { externalCreateSteps, prepareExternalCreate } from '../../../src/backends/qdisk/offline-external-create.js';
import type { OfflineStep } from '../../../src/backends/qdisk/offline-steps.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { createOffline } from '../../../src/backends/qdisk/offline.js';
import { noJournal, type RecoveryStep, type StepJournal } from '../../../src/backends/backend.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import { checkAll, sameSnapshots, snapshotContents } from '../../util/graph-oracle.js';
import type { Domain } from '../../../src/model/domain.js';
import { assertCleanImage, dirState, makeImage, qdisk, sameContent, saveReference, testDomain, writePattern } from '../../util/image-refs.js';

const MiB = 1 << 20;
const KiB = 1024;

async function fresh(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const base = join(dir, 'base.raw');
  await makeImage(base, 'raw', 4 * MiB);
  await writePattern(base, 'raw', 0x0b, 0, MiB);
  const a = join(dir, 'a.qcow2');
  const b = join(dir, 'b.qcow2');
  await makeImage(a, 'qcow2', 4 * MiB, { path: base, format: 'raw' });
  await makeImage(b, 'qcow2', 4 * MiB);
  await writePattern(a, 'qcow2', 0xa1, 512 * KiB, 64 * KiB);
  await writePattern(b, 'qcow2', 0xb1, 0, 64 * KiB);
  return { dir, a, b, domain: testDomain([qdisk('xvda', a), qdisk('xvdb', b)]) };
}

/** Runs steps[0..n) and journals the intent of step n (if any); returns what the journal holds. */
async function crashAfter(steps: OfflineStep[], n: number) {
  for (const s of steps.slice(0, n)) await s.run();
  return steps.slice(0, Math.min(n + 1, steps.length)).map((s) => ({ step: s.name, detail: s.detail }));
}

test('external create: a crash at every step is rolled back to the exact images of before', async (t) => {
  const names = ['overlay', 'overlay', 'link', 'link', 'switch', 'switch'];
  for (let n = 0; n <= names.length; n++) {
    const { dir, domain } = await fresh(t);
    const before = await dirState(dir);
    const steps = externalCreateSteps([await prepareExternalCreate(domain.disks[0]!, 's1'), await prepareExternalCreate(domain.disks[1]!, 's1')]);
    assert.deepEqual(steps.map((s) => s.name), names.map((x) => `qdisk-offline.external-${x}`));
    const journaled = await crashAfter(steps, n);
    const outcomes = await recoverOfflineOperation(journaled);
    assert.deepEqual(await dirState(dir), before, `crash after ${n} steps`);
    const expected = journaled.map((j) => j.step).reverse();
    assert.deepEqual(outcomes.map((o) => o.step), expected);
    assert.equal(outcomes.some((o) => o.action === 'rolled-back'), n > 0);
  }
});

test('external create: an overlay that already took writes is kept, not rolled back', async (t) => {
  const { dir, a, domain } = await fresh(t);
  const steps = externalCreateSteps([await prepareExternalCreate(domain.disks[0]!, 's1')]);
  const journaled = await crashAfter(steps, steps.length);
  await writePattern(a, 'qcow2', 0xee, 0, 4 * KiB); // the domain booted before recovery ran
  await saveReference(a, 'qcow2', join(dir, 'ref.raw'));
  const outcomes = await recoverOfflineOperation(journaled);
  assert.deepEqual(outcomes.map((o) => o.action), ['kept', 'kept', 'kept']);
  assert.equal(outcomes[0]!.message, `${a} already holds writes over ${join(dir, 'a@s1.qcow2')}; the snapshot is kept so no data is lost`);
  assert.equal(await sameContent(a, 'qcow2', join(dir, 'ref.raw'), 'raw'), true);
});

test('internal create: a crash at every step leaves no tag and the same content', async (t) => {
  for (let n = 0; n <= 2; n++) {
    const { dir, a, b, domain } = await fresh(t);
    await saveReference(a, 'qcow2', join(dir, 'ra.raw'));
    await saveReference(b, 'qcow2', join(dir, 'rb.raw'));
    const outcomes = await recoverOfflineOperation(await crashAfter(internalCreateSteps(domain.disks, 's1'), n));
    assert.deepEqual(outcomes.map((o) => o.action), n === 0 ? ['nothing-to-do'] : n === 1 ? ['nothing-to-do', 'rolled-back'] : ['rolled-back', 'rolled-back']);
    for (const [f, r] of [[a, 'ra.raw'], [b, 'rb.raw']] as const) {
      assert.deepEqual((await img.info(f)).snapshots, []);
      assert.equal(await sameContent(f, 'qcow2', join(dir, r), 'raw'), true);
      await assertCleanImage(f, 'qcow2');
    }
  }
});

/** a: base.raw ← a@s1 (64 KiB) ← a@s2 (+big) ← a (+small): s2 merges by commit, s1 by stream. */
async function chainOfThree(t: { after(fn: () => Promise<void>): void }) {
  const env = await fresh(t);
  const domain: Domain = testDomain([env.domain.disks[0]!]);
  const { dir, a } = env;
  await saveReference(a, 'qcow2', join(dir, 'r1.raw'));
  const s1 = await createOffline({ domain, disks: domain.disks, snapshot: 's1', type: 'external' }, noJournal);
  await writePattern(a, 'qcow2', 0xc1, MiB, MiB);
  await saveReference(a, 'qcow2', join(dir, 'r2.raw'));
  const s2 = await createOffline({ domain, disks: domain.disks, snapshot: 's2', type: 'external' }, noJournal);
  await writePattern(a, 'qcow2', 0xd1, 3 * MiB, 128 * KiB);
  await saveReference(a, 'qcow2', join(dir, 'rl.raw'));
  return { dir, a, domain, s1, s2 };
}

class Crash extends Error {}

/**
 * A journal that stops the operation at its n-th step: right after the intent is durable (the
 * step never ran), or right after the step's effect, before its `done` — both sides of a step.
 */
class CrashingJournal implements StepJournal {
  readonly steps: RecoveryStep[] = [];
  constructor(private readonly n: number, private readonly side: 'intent' | 'effect') {}
  async intent(step: string, detail: Record<string, unknown>): Promise<void> {
    this.steps.push({ step, detail, done: false });
    if (this.side === 'intent' && this.steps.length - 1 === this.n) throw new Crash(`crash after the intent of ${step}`);
  }
  async done(step: string): Promise<void> {
    const s = [...this.steps].reverse().find((x) => x.step === step && !x.done);
    if (this.side === 'effect' && this.steps.length - 1 === this.n) throw new Crash(`crash after the effect of ${step}`);
    if (s) s.done = true;
  }
}

/**
 * Deletes `snapshot` with a crash at every step, both sides, each time on a fresh copy of the
 * images made by `make`; recovery (the backend's, from the journal alone) must finish the delete:
 * the snapshot gone, every other snapshot's content and the leaf's unchanged, every image clean,
 * and a second recovery changes nothing. Returns the step names crashed at.
 */
async function crashEveryStep(t: { after(fn: () => Promise<void>): void }, make: () => Promise<{ dir: string; domain: Domain; disks: SnapshotDiskRecord[]; gone: string[] }>, snapshot: string): Promise<string[]> {
  const reached: string[] = [];
  for (const side of ['intent', 'effect'] as const) {
    for (let n = 0; ; n++) {
      const { dir, domain, disks, gone } = await make();
      const before = await snapshotContents(dir);
      const j = new CrashingJournal(n, side);
      const req = { domain, snapshot, type: (disks[0]!.tag ? 'internal' : 'external') as 'internal' | 'external', disks };
      const finished = await deleteOffline(req, j).then(() => true, (e) => {
        if (!(e instanceof Crash)) throw e;
        return false;
      });
      if (finished) break;
      reached.push(`${j.steps.at(-1)!.step}@${side}`);
      const r = await recoverQdisk({ action: 'delete', domain, snapshot, type: req.type, steps: j.steps }, async () => assert.fail('no QMP offline'));
      assert.equal(r.outcome, 'finished');
      const after = await snapshotContents(dir);
      assert.deepEqual(sameSnapshots(before, after, gone), [], `crash at step ${n} (${side})`);
      assert.deepEqual(await checkAll(dir), []);
      const again = await snapshotContents(dir);
      await recoverQdisk({ action: 'delete', domain, snapshot, type: req.type, steps: j.steps }, async () => assert.fail('no QMP offline'));
      assert.deepEqual(sameSnapshots(again, await snapshotContents(dir), []), [], 'a second recovery changes nothing');
    }
  }
  return reached;
}

test('external delete: a crash on both sides of every step of stream and of commit is finished by recovery', async (t) => {
  const names: Record<string, string[]> = {};
  for (const which of ['s2', 's1'] as const) {
    names[which] = await crashEveryStep(t, async () => {
      const { dir, domain, s1, s2 } = await chainOfThree(t);
      return { dir, domain, disks: which === 's1' ? s1 : s2, gone: [`file:${join(dir, `a@${which}.qcow2`)}`] };
    }, which);
  }
  assert.deepEqual(names, {
    s2: ['qdisk-offline.external-commit@intent', 'qdisk-offline.external-replace@intent', 'qdisk-offline.external-commit@effect', 'qdisk-offline.external-replace@effect'],
    s1: ['qdisk-offline.external-rebase@intent', 'qdisk-offline.external-unlink@intent', 'qdisk-offline.external-rebase@effect', 'qdisk-offline.external-unlink@effect'],
  });
});

test('external delete into a child holding internal snapshots: a crash on both sides of every step of the cluster-level merge is finished', async (t) => {
  const reached = await crashEveryStep(t, async () => {
    const { dir, a, domain, s2 } = await chainOfThree(t);
    await img.snapshotCreate(a, 'top'); // a tag in the leaf reads through a@s2
    await writePattern(a, 'qcow2', 0xe1, 0, 64 * KiB);
    return { dir, domain, disks: s2, gone: [`file:${join(dir, 'a@s2.qcow2')}`] };
  }, 's2');
  assert.deepEqual(reached, [
    'qdisk-offline.cluster-merge@intent', 'qdisk-offline.relink@intent', 'qdisk-offline.external-unlink@intent',
    'qdisk-offline.cluster-merge@effect', 'qdisk-offline.relink@effect', 'qdisk-offline.external-unlink@effect',
  ]);
});

test('internal delete: a crash on both sides of the step is finished by recovery', async (t) => {
  const reached = await crashEveryStep(t, async () => {
    const { dir, a, domain } = await fresh(t);
    await img.snapshotCreate(a, 'old');
    return { dir, domain: testDomain([domain.disks[0]!]), disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'old' }], gone: ['tag:old'] };
  }, 'old');
  assert.deepEqual(reached, ['qdisk-offline.internal-delete@intent', 'qdisk-offline.internal-delete@effect']);
});
