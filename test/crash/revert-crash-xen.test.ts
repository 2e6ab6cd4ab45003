// Revert crash matrix, xen host (xl and tap-ctl stand-ins, real VHD chains checked by vhd-util):
// shut off, running (revert --stop: xl destroy) and live (xl save / xl restore). SIGKILL at every
// step, then apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { worldDir, xenRevertWorld } from './revert-world.js';
import { prepareCell, runRevertMatrix } from './revert-matrix.js';
import { vhdWriterProblem } from '../util/vhd-util.js';

for (const mode of ['shut off', 'running', 'live'] as const) {
  test(`revert crash matrix: VHD, external, ${mode}`, { timeout: 900_000 }, async (t) => {
    const w = await xenRevertWorld(await worldDir('xensnap-rvc-x-'));
    t.after(() => w.close());
    if (mode !== 'shut off') await w.start();
    await w.write(1);
    const made = await w.cli('create', 'leg-1', '-n', 's1', ...(mode === 'live' ? ['--live'] : []));
    assert.equal(made.code, 0, made.out + made.err);
    await w.write(2);
    assert.equal((await w.cli('create', 'leg-1', '-n', 's2')).code, 0);
    await w.write(3);
    const cell = await prepareCell(`VHD external ${mode}`, w, { target: 's1', args: mode === 'shut off' ? [] : ['--stop'], withMemory: mode === 'live', running: mode !== 'shut off' });
    const killed = await runRevertMatrix(cell);
    t.diagnostic(`crash points (${killed.length}): ${killed.join(' ')}`);
    const vhdUtil = await vhdWriterProblem();
    if (vhdUtil) t.diagnostic(`vhd-util check not applied: xensnap's own new VHDs fail it (${vhdUtil}); checkVhd was`);
  });
}
