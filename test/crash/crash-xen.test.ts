import { test, before, after } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xenWorld, type World } from './crash-world.js';
import { runCrashMatrix } from './crash-matrix.js';

// One world for the file: a xen host (xl stand-in): "app-1" qcow2 on qdisk, "leg-1" VHD on tap; both shut off.
let w: World;
before(async () => {
  w = await xenWorld(await mkdtemp(join(tmpdir(), 'xensnap-crash-x-')));
});
after(() => w.close());

const scenarios = [
  ['leg-1', 'external', 'blktap offline (native VHD), two disks'],
  ['app-1', 'external', 'xen qdisk offline external, two disks'],
  ['app-1', 'internal', 'xen qdisk offline internal, two disks'],
] as const;

for (const [name, type, what] of scenarios) {
  test(`crash at every step of an apply: ${what}`, { timeout: 300_000 }, async (t) => {
    const covered = await runCrashMatrix(w, w.domains.find((d) => d.name === name)!, type);
    t.diagnostic(`crash points: ${covered.length}\n${covered.join('\n')}`);
  });
}
