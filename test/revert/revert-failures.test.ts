// A revert whose step fails — at every step, right after its intent or its effect — and the real
// failures an operator meets (a missing tag, a full file system, a failing xl): the domain ends as
// before the revert (or reverted, once the restore happened), and the message says which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuRevertWorld, worldDir } from '../crash/revert-world.js';
import { prepareCell, runFailureMatrix } from '../crash/revert-matrix.js';

test('a failing step anywhere in an internal revert (tag below the leaf), shut off: rolled back to exactly as before', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvf-i-'));
  t.after(() => w.close());
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '-n', 'i1')).code, 0);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 internal below the leaf', w, { target: 'i1', args: [], withMemory: false, running: false });
  const failed = await runFailureMatrix(cell);
  t.diagnostic(`failure points (${failed.length}): ${failed.join(' ')}`);
});

test('a failing step anywhere in a live external revert of a running QEMU: as before (stopped once --stop ran), or reverted once the restore ran', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvf-l-'));
  t.after(() => w.close());
  await w.start();
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--live', '-n', 'l1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 external live', w, { target: 'l1', args: ['--stop'], withMemory: true, running: true });
  const failed = await runFailureMatrix(cell);
  t.diagnostic(`failure points (${failed.length}): ${failed.join(' ')}`);
});
