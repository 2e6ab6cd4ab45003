// Revert crash matrix, standalone QEMU host, live snapshots (memory restored from the inventory's
// launch line): SIGKILL at every step, then apply. Only a kill after the restore leaves it reverted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuRevertWorld, worldDir } from './revert-world.js';
import { prepareCell, runRevertMatrix } from './revert-matrix.js';

test('revert crash matrix: qcow2, internal, live (snapshot-load into a restarted QEMU)', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-li-'));
  t.after(() => w.close());
  await w.start();
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '--live', '-n', 'l1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 internal live', w, { target: 'l1', args: ['--stop'], withMemory: true, running: true });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});

test('revert crash matrix: qcow2, external, live (memory image into a restarted QEMU)', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-le-'));
  t.after(() => w.close());
  await w.start();
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--live', '-n', 'l1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 external live', w, { target: 'l1', args: ['--stop'], withMemory: true, running: true });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});
