// Revert crash matrix, xen host (xl and tap-ctl stand-ins, real VHD chains): shut off, running
// (revert --stop: xl destroy) and live (xl save / xl restore). SIGKILL at every step, then apply.
import { test } from 'node:test';
import { xenCell } from './revert-cells.js';
import { runRevertMatrix } from './revert-matrix.js';

for (const mode of ['shut off', 'running', 'live'] as const) {
  test(`revert crash matrix: VHD, external, ${mode}`, { timeout: 900_000 }, async (t) => {
    const killed = await runRevertMatrix(await xenCell(t, mode));
    t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
  });
}
