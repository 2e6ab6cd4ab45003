// Revert crash matrix, standalone QEMU host, live snapshots (memory restored from the inventory's
// launch line): SIGKILL at every step, then apply. Only a kill once the restore ran leaves it reverted.
import { test } from 'node:test';
import { qemuCell } from './revert-cells.js';
import { runRevertMatrix } from './revert-matrix.js';

for (const [scenario, what] of [
  ['internal-live', 'snapshot-load into a restarted QEMU'],
  ['external-live', 'memory image into a restarted QEMU'],
] as const) {
  test(`revert crash matrix: qcow2, ${scenario} (${what})`, { timeout: 900_000 }, async (t) => {
    const killed = await runRevertMatrix(await qemuCell(t, scenario, true));
    t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
  });
}
