// Revert crash matrix, standalone QEMU host, domain running (revert --stop, disk-only targets):
// SIGKILL at every step, then apply.
import { test } from 'node:test';
import { qemuCell } from './revert-cells.js';
import { runRevertMatrix } from './revert-matrix.js';

for (const [scenario, what] of [
  ['internal', 'the tag in each leaf, applied in place'],
  ['external', 'a newer snapshot in the chain'],
] as const) {
  test(`revert crash matrix: qcow2, ${scenario}, running, --stop (${what})`, { timeout: 900_000 }, async (t) => {
    const killed = await runRevertMatrix(await qemuCell(t, scenario, true));
    t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
  });
}
