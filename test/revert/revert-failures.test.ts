// A revert whose step fails — at every step, right after its intent or its effect: the domain
// ends as before the revert (or reverted, once the restore happened), and the message says which.
import { test } from 'node:test';
import { qemuCell } from '../crash/revert-cells.js';
import { runFailureMatrix } from '../crash/revert-matrix.js';

test('a failing step anywhere in an internal revert (tag below both leaves), shut off: rolled back to exactly as before', { timeout: 900_000 }, async (t) => {
  const failed = await runFailureMatrix(await qemuCell(t, 'internal-below-all', false));
  t.diagnostic(`failure points (${failed.length}): ${failed.join(' ')}`);
});

test('a failing step anywhere in a live external revert of a running QEMU: as before (stopped once --stop ran), or reverted once the restore ran', { timeout: 900_000 }, async (t) => {
  const failed = await runFailureMatrix(await qemuCell(t, 'external-live', true));
  t.diagnostic(`failure points (${failed.length}): ${failed.join(' ')}`);
});
