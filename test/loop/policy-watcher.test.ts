import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPolicyDir } from '../../src/loop/policy-watcher.js';
import { memoryLogger } from './helpers.js';
import { FakeTimers } from './fake-timers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEBOUNCE_MS = 150;

/**
 * The watcher's debounce runs on a hand-driven clock, so a burst is one change however long the
 * machine takes to write it; only chokidar (inotify, its own short timers) runs in real time.
 * `arms` counts debounce (re)starts: one per relevant event.
 */
class DebounceClock extends FakeTimers {
  arms = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.arms++;
    return super.setTimeout(fn, ms);
  }
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** Waits until chokidar has delivered no event for `ms` (its own coalescing uses ≤ 100 ms timers). */
async function eventsQuiet(clock: DebounceClock, ms = 300): Promise<void> {
  for (let seen = -1; seen !== clock.arms; ) {
    seen = clock.arms;
    await sleep(ms);
  }
}

/**
 * A step that must be exactly one change: waits for the watcher to see it (a debounce armed) and
 * for the burst's events to end, runs the debounce out, and waits for `onChange`; returns the count.
 */
async function oneChange(clock: DebounceClock, calls: () => number): Promise<number> {
  const before = calls();
  await until('the change to be seen', () => clock.pending().length > 0);
  await eventsQuiet(clock);
  await clock.advanceBy(DEBOUNCE_MS);
  await until('onChange', () => calls() > before);
  return calls();
}

test('chokidar on a real policy dir: writes, rename-and-replace, temp files, sub-dirs, directory replacement', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-watch-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const dir = join(base, 'policies');
  await mkdir(dir);
  let calls = 0;
  const clock = new DebounceClock(0);
  const w = await watchPolicyDir(dir, { timers: clock, debounceMs: DEBOUNCE_MS, log: memoryLogger(), onChange: () => calls++ });
  t.after(() => w.close());
  const count = () => calls;
  const settle = () => oneChange(clock, count);

  // a burst of writes (no debounce time passing meanwhile) is one change
  await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
  await writeFile(join(dir, 'b.yml'), 'b: 1\n');
  await writeFile(join(dir, 'a.yaml'), 'a: 2\n');
  assert.equal(await settle(), 1);

  // Git / editors: write a temp name, rename over the policy file
  await writeFile(join(dir, 'a.yaml.lock'), 'a: 3\n');
  await rename(join(dir, 'a.yaml.lock'), join(dir, 'a.yaml'));
  assert.equal(await settle(), 2);
  const armed = clock.arms;
  await writeFile(join(dir, '.a.yaml.swp'), 'x');
  await writeFile(join(dir, 'README.md'), 'x');
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, '.git', 'HEAD.yaml'), 'x');
  // Proving a non-event needs an end marker: a policy file written afterwards is seen (its own
  // change), and by then the ignored writes' events, delivered earlier, have armed nothing.
  await writeFile(join(dir, 'marker.yaml'), 'm: 1\n');
  await until('the marker to be seen', () => clock.arms > armed);
  await eventsQuiet(clock);
  assert.equal(clock.pending().length, 1);
  assert.equal(clock.arms - armed, 1, 'temp, hidden and non-policy files are not changes; only the marker is');
  assert.equal(await settle(), 3);

  await mkdir(join(dir, 'team'));
  await writeFile(join(dir, 'team', 'c.yaml'), 'c: 1\n');
  assert.equal(await settle(), 4);
  await unlink(join(dir, 'b.yml'));
  assert.equal(await settle(), 5);

  // a fresh checkout renamed into place: the watch follows the new directory
  const fresh = join(base, 'policies.new');
  await mkdir(fresh);
  await writeFile(join(fresh, 'd.yaml'), 'd: 1\n');
  await rename(dir, join(base, 'policies.old'));
  await rename(fresh, dir);
  assert.equal(await settle(), 6);
  await writeFile(join(dir, 'e.yaml'), 'e: 1\n');
  assert.equal(await settle(), 7, 'writes into the replacement directory are seen');
});

test('chokidar: a symlinked policy dir swapped to a new target (git-sync style) is followed', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-watch-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  for (const r of ['rev1', 'rev2']) await mkdir(join(base, r));
  const link = join(base, 'policies');
  await symlink('rev1', link);
  let calls = 0;
  const clock = new DebounceClock(0);
  const w = await watchPolicyDir(link, { timers: clock, debounceMs: DEBOUNCE_MS, log: memoryLogger(), onChange: () => calls++ });
  t.after(() => w.close());
  const count = () => calls;
  const settle = () => oneChange(clock, count);
  await writeFile(join(link, 'a.yaml'), 'a: 1\n');
  assert.equal(await settle(), 1);
  await symlink('rev2', join(base, 'policies.tmp'));
  await rename(join(base, 'policies.tmp'), link);
  assert.equal(await settle(), 2);
  await writeFile(join(base, 'rev2', 'b.yaml'), 'b: 1\n');
  assert.equal(await settle(), 3, 'writes into the new target are seen');
});
