// Seeded kills at random moments: SIGKILL after a random delay while an apply of several actions
// (creates and deletes on two domains) runs; then apply again and check convergence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertConverged, cli, guestWrites, slot, xenWorld } from './crash-world.js';

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('50 seeded SIGKILLs at random moments of a multi-domain apply converge after the next apply', { timeout: 600_000 }, async (t) => {
  const w = await xenWorld(await mkdtemp(join(tmpdir(), 'xensnap-kill-')));
  t.after(() => w.close());
  const seed = Number(process.env.XENSNAP_KILL_SEED ?? 20261126);
  const rand = rng(seed);
  const dir = join(w.dir, 'policies');
  for (const f of await readdir(dir)) await rm(join(dir, f));
  const pol = (name: string, dom: string) => `apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    names: ["${dom}"]\n  schedule: "0 * * * *"\n  mode: disk-only\n  type: external\n  retention:\n    keepLast: 1\n`;
  await writeFile(join(dir, 'a.yaml'), pol('ka', 'app-1'));
  await writeFile(join(dir, 'l.yaml'), pol('kl', 'leg-1'));
  let killed = 0;
  for (let k = 1; k <= 50; k++) {
    for (const d of w.domains) await guestWrites(d, k);
    const a = slot('ka', k);
    const delay = Math.floor(rand() * 400);
    const r = await cli(w, ['apply', '--yes', '--at', a.at], {}, delay);
    if (r.signal === 'SIGKILL') killed++;
    const again = await cli(w, ['apply', '--yes', '--at', a.at]);
    assert.equal(again.code, 0, `seed ${seed} kill ${k} after ${delay} ms: ${again.stdout}${again.stderr}`);
    await assertConverged(w, w.domains[0]!, 'external', a.snapshot, a.at, `seed ${seed} kill ${k} (${delay} ms) app-1`);
    await assertConverged(w, w.domains[1]!, 'external', slot('kl', k).snapshot, a.at, `seed ${seed} kill ${k} (${delay} ms) leg-1`);
  }
  t.diagnostic(`seed ${seed}: ${killed} of 50 applies were killed mid-run`);
  assert.ok(killed >= 25, `only ${killed} kills landed while the apply ran`);
});
