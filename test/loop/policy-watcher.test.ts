import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPolicyDir } from '../../src/loop/policy-watcher.js';
import { realTimers } from '../../src/loop/timers.js';
import { memoryLogger } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `calls()` reaches `n` (or 3 s), then a quiet period, and returns the count. */
async function settle(calls: () => number, n: number): Promise<number> {
  for (let i = 0; i < 300 && calls() < n; i++) await sleep(10);
  await sleep(400); // > debounce: anything pending would have fired
  return calls();
}

test('chokidar on a real policy dir: writes, rename-and-replace, temp files, sub-dirs, directory replacement', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-watch-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const dir = join(base, 'policies');
  await mkdir(dir);
  let calls = 0;
  const w = await watchPolicyDir(dir, { timers: realTimers(), debounceMs: 150, log: memoryLogger(), onChange: () => calls++ });
  t.after(() => w.close());
  const count = () => calls;

  // a burst of writes within the debounce window is one change
  await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
  await writeFile(join(dir, 'b.yml'), 'b: 1\n');
  await writeFile(join(dir, 'a.yaml'), 'a: 2\n');
  assert.equal(await settle(count, 1), 1);

  // Git / editors: write a temp name, rename over the policy file
  await writeFile(join(dir, 'a.yaml.lock'), 'a: 3\n');
  await rename(join(dir, 'a.yaml.lock'), join(dir, 'a.yaml'));
  assert.equal(await settle(count, 2), 2);
  await writeFile(join(dir, '.a.yaml.swp'), 'x');
  await writeFile(join(dir, 'README.md'), 'x');
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, '.git', 'HEAD.yaml'), 'x');
  assert.equal(await settle(count, 3), 2, 'temp, hidden and non-policy files are not changes');

  await mkdir(join(dir, 'team'));
  await writeFile(join(dir, 'team', 'c.yaml'), 'c: 1\n');
  assert.equal(await settle(count, 3), 3);
  await unlink(join(dir, 'b.yml'));
  assert.equal(await settle(count, 4), 4);

  // a fresh checkout renamed into place: the watch follows the new directory
  const fresh = join(base, 'policies.new');
  await mkdir(fresh);
  await writeFile(join(fresh, 'd.yaml'), 'd: 1\n');
  await rename(dir, join(base, 'policies.old'));
  await rename(fresh, dir);
  assert.equal(await settle(count, 5), 5);
  await writeFile(join(dir, 'e.yaml'), 'e: 1\n');
  assert.equal(await settle(count, 6), 6, 'writes into the replacement directory are seen');
});

test('chokidar: a symlinked policy dir swapped to a new target (git-sync style) is followed', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-watch-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  for (const r of ['rev1', 'rev2']) await mkdir(join(base, r));
  const link = join(base, 'policies');
  await symlink('rev1', link);
  let calls = 0;
  const w = await watchPolicyDir(link, { timers: realTimers(), debounceMs: 150, log: memoryLogger(), onChange: () => calls++ });
  t.after(() => w.close());
  const count = () => calls;
  await writeFile(join(link, 'a.yaml'), 'a: 1\n');
  assert.equal(await settle(count, 1), 1);
  await symlink('rev2', join(base, 'policies.tmp'));
  await rename(join(base, 'policies.tmp'), link);
  assert.equal(await settle(count, 2), 2);
  await writeFile(join(base, 'rev2', 'b.yaml'), 'b: 1\n');
  assert.equal(await settle(count, 3), 3, 'writes into the new target are seen');
});
