import { test, before, after } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qemuWorld, type World } from './crash-world.js';
import { crashFirstDelete, runCrashMatrix } from './crash-matrix.js';

// One world for the file: running "run-1" and "run-2" (real QEMUs, two disks each) and shut-off "off-1".
let w: World;
before(async () => {
  w = await qemuWorld(await mkdtemp(join(tmpdir(), 'xensnap-crash-q-')));
});
after(() => w.close());

const scenarios = [
  ['off-1', 'external', 'qdisk offline external (qemu-img), two disks'],
  ['off-1', 'internal', 'qdisk offline internal (qemu-img), two disks'],
  ['run-2', 'internal', 'qdisk running internal (QMP), two disks'],
  ['run-1', 'external', 'qdisk running external (QMP), two disks'],
] as const;

// A running external delete killed after its stream, before the old nodes are dropped: the frozen
// node is still open in QEMU but out of the chain. Its own test, last (it blocks run-1 when it fails).
const DROP_NODES = /^qdisk-online\.drop-nodes:/;

for (const [name, type, what] of scenarios) {
  test(`crash at every step of an apply: ${what}`, { timeout: 300_000 }, async (t) => {
    const covered = await runCrashMatrix(w, w.domains.find((d) => d.name === name)!, type, name === 'run-1' ? DROP_NODES : null);
    t.diagnostic(`crash points: ${covered.length}\n${covered.join('\n')}`);
  });
}

test('crash at drop-nodes of a running external delete (qdisk online recovery)', { timeout: 120_000 }, async () => {
  await crashFirstDelete(w, w.domains.find((d) => d.name === 'run-1')!, 'external', 'qdisk-online.drop-nodes:xvda#1', 500);
});
