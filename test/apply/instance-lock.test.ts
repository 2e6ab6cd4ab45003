import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, stat, readdir } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { acquireInstanceLock, waitForInstanceLock } from '../../src/apply/instance-lock.js';
import { processStartTime } from '../../src/apply/process-start-time.js';

async function tempState(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'state');
}

test('the lock file records pid and start time, 0600 in a 0700 dir, and is removed on release', async (t) => {
  const state = await tempState(t);
  const lock = await acquireInstanceLock(state, 'apply');
  const content = JSON.parse(await readFile(join(state, '.lock'), 'utf8'));
  assert.equal(content.pid, process.pid);
  assert.equal(content.startTime, await processStartTime(process.pid));
  assert.equal(content.command, 'apply');
  assert.equal((await stat(join(state, '.lock'))).mode & 0o777, 0o600);
  assert.equal((await stat(state)).mode & 0o777, 0o700);
  await lock.release();
  assert.deepEqual(await readdir(state), []);
});

test('a second taker is refused while a live process holds it', async (t) => {
  const state = await tempState(t);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  await acquireInstanceLock(state, 'probe').then((l) => l.release()); // creates the dir
  const owner = { pid: child.pid, startTime: await processStartTime(child.pid!), hostname: hostname(), since: 'x', command: 'run' };
  await writeFile(join(state, '.lock'), JSON.stringify(owner));
  await assert.rejects(acquireInstanceLock(state, 'apply'), {
    name: 'UserInputError',
    message: `another xensnap (pid ${child.pid}) holds the lock ${join(state, '.lock')}`,
  });
  assert.equal(JSON.parse(await readFile(join(state, '.lock'), 'utf8')).pid, child.pid);
});

test('a lock left by a dead process, or by a reused pid, is taken over', async (t) => {
  const state = await tempState(t);
  await acquireInstanceLock(state, 'probe').then((l) => l.release());
  const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => dead.on('exit', r));
  for (const stale of [
    { pid: dead.pid, startTime: '1', hostname: hostname(), since: 'x', command: 'apply' },
    { pid: process.pid, startTime: 'not-my-start-time', hostname: hostname(), since: 'x', command: 'apply' },
  ]) {
    await writeFile(join(state, '.lock'), JSON.stringify(stale));
    const lock = await acquireInstanceLock(state, 'apply');
    assert.equal(JSON.parse(await readFile(join(state, '.lock'), 'utf8')).pid, process.pid);
    await lock.release();
  }
  assert.deepEqual(await readdir(state), []);
});

test('two takers at once: exactly one wins', async (t) => {
  const state = await tempState(t);
  const results = await Promise.allSettled([acquireInstanceLock(state, 'a'), acquireInstanceLock(state, 'b')]);
  // same process: the second sees a live holder (us)
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
});

test('waitForInstanceLock waits for the holder to finish, and gives up when aborted', async (t) => {
  const state = await tempState(t);
  const held = await acquireInstanceLock(state, 'apply');
  let released = false;
  setTimeout(() => {
    released = true;
    void held.release();
  }, 150);
  const lock = await waitForInstanceLock(state, 'run', { pollMs: 20 });
  assert.equal(released, true, 'it waited for the release');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(waitForInstanceLock(state, 'run', { pollMs: 20, signal: ac.signal }), { message: `another xensnap (pid ${process.pid}) holds the lock ${join(state, '.lock')}` });
  await lock.release();
});
