// Revert crash matrix, standalone QEMU host, domain shut off: SIGKILL at every step, then apply.
import { test } from 'node:test';
import { qemuCell } from './revert-cells.js';
import { runRevertMatrix } from './revert-matrix.js';

for (const [scenario, what] of [
  ['internal-below', 'one tag in a leaf, one below: fresh tag leaves on both'],
  ['external', 'a newer snapshot in the chain'],
] as const) {
  test(`revert crash matrix: qcow2, ${scenario}, shut off (${what})`, { timeout: 900_000 }, async (t) => {
    const killed = await runRevertMatrix(await qemuCell(t, scenario, false));
    t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
  });
}
