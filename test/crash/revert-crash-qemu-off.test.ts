// Revert crash matrix, standalone QEMU host, domain shut off: SIGKILL at every step, then apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuRevertWorld, worldDir } from './revert-world.js';
import { prepareCell, runRevertMatrix } from './revert-matrix.js';

test('revert crash matrix: qcow2, internal, shut off (one tag in a leaf, one below: fresh tag leaves on both)', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-qi-'));
  t.after(() => w.close());
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '-n', 'i1')).code, 0);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1', '--disks', 'xvdb')).code, 0);
  await w.write(2);
  const cell = await prepareCell('qcow2 internal shut off', w, { target: 'i1', args: [], withMemory: false, running: false });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});

test('revert crash matrix: qcow2, external, shut off (a newer snapshot in the chain)', { timeout: 900_000 }, async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvc-qe-'));
  t.after(() => w.close());
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1')).code, 0);
  await w.write(2);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e2')).code, 0);
  await w.write(3);
  const cell = await prepareCell('qcow2 external shut off', w, { target: 'e1', args: [], withMemory: false, running: false });
  const killed = await runRevertMatrix(cell);
  t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
});
