// Crash simulation: run an operation's steps up to N (the journal holds the intent of step N,
// which never ran), then recover from the journal alone and check the images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverOfflineOperation, planOfflineDelete } from '../../../src/backends/qdisk/offline.js';
import { internalCreateSteps, internalDeleteStep } from '../../../src/backends/qdisk/offline-internal.js';
import { externalCreateSteps, prepareExternalCreate } from '../../../src/backends/qdisk/offline-external-create.js';
import { mergeSteps } from '../../../src/backends/qdisk/offline-external-delete.js';
import type { OfflineStep } from '../../../src/backends/qdisk/offline-steps.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { createOffline } from '../../../src/backends/qdisk/offline.js';
import { noJournal } from '../../../src/backends/backend.js';
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

test('external delete: a crash at every step of stream and of commit is finished by recovery', async (t) => {
  for (const which of ['s2', 's1'] as const) {
    for (let n = 0; n < 2; n++) {
      const { dir, a, domain, s1, s2 } = await chainOfThree(t);
      const [plan] = await planOfflineDelete({ domain, snapshot: which, type: 'external', disks: which === 's1' ? s1 : s2 });
      assert.equal(plan!.method, which === 's2' ? 'commit' : 'stream');
      const steps = mergeSteps(plan!);
      const journaled = await crashAfter(steps, n);
      if (which === 's2' && n === 1) await writePattern(a, 'qcow2', 0x77, 3 * MiB, 4 * KiB); // written between commit and replace
      const outcomes = await recoverOfflineOperation(journaled);
      assert.deepEqual(outcomes.map((o) => o.action), n === 0 ? ['finished'] : ['finished', 'nothing-to-do']);
      const keep = which === 's1' ? 's2' : 's1';
      const chain = await img.chain(a);
      assert.deepEqual(chain.map((c) => c.filename), [a, join(dir, `a@${keep}.qcow2`), join(dir, 'base.raw')]);
      assert.equal(await sameContent(join(dir, `a@${keep}.qcow2`), 'qcow2', join(dir, keep === 's1' ? 'r1.raw' : 'r2.raw'), 'raw'), true);
      if (which === 's2' && n === 1) await writePattern(join(dir, 'rl.raw'), 'raw', 0x77, 3 * MiB, 4 * KiB);
      assert.equal(await sameContent(a, 'qcow2', join(dir, 'rl.raw'), 'raw'), true, `${which} crash after ${n}`);
      for (const c of chain.slice(0, 2)) await assertCleanImage(c.filename, 'qcow2');
      // Recovering twice changes nothing more.
      const again = await recoverOfflineOperation(journaled);
      assert.deepEqual(again.map((o) => o.action), journaled.map(() => 'nothing-to-do'));
    }
  }
});

test('internal delete: a crash before the step is finished by recovery', async (t) => {
  const { a, domain } = await fresh(t);
  await img.snapshotCreate(a, 'old');
  const step = await internalDeleteStep(domain.disks[0]!, 'old');
  const outcomes = await recoverOfflineOperation(await crashAfter([step!], 0));
  assert.deepEqual(outcomes.map((o) => o.action), ['finished']);
  assert.deepEqual((await img.info(a)).snapshots, []);
  await assertCleanImage(a, 'qcow2');
});
