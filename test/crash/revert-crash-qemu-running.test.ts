// Revert crash matrix, standalone QEMU host, domain running (revert --stop, disk-only targets):
// SIGKILL at every step, then apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuRevertWorld, worldDir } from './revert-world.js';
import { prepareCell, runRevertMatrix } from './revert-matrix.js';

test('revert crash matrix: qcow2, internal, running, --stop (the tag in each leaf, applied in place)', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-ri-'));
  t.after(() => w.close());
  await w.start();
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '-n', 'i1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 internal running', w, { target: 'i1', args: ['--stop'], withMemory: false, running: true });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});

test('revert crash matrix: qcow2, external, running, --stop', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-re-'));
  t.after(() => w.close());
  await w.start();
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 external running', w, { target: 'e1', args: ['--stop'], withMemory: false, running: true });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});
