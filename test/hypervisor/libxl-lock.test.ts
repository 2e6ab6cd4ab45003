// libxl's lock protocol (file-lock.ts) against a contender that follows libxl_internal.c: never two
// holders at once, also across the unlink-then-close release that makes a waiter's inode stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { acquireFileLock } from '../../src/hypervisor/xen/file-lock.js';
import { STUBS } from '../inventory/paths.js';
import { waitUntilLocked } from '../util/lock-held.js';

const exec = promisify(execFile);

test("libxl's lock protocol: held means flocked on the path's current inode; release unlinks, then unlocks", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'userdata-l.7.039e9ee6-4a84-3055-4c81-8ba426ae2656.qmp-socket-lock');
  const lock = await acquireFileLock(file, 5000);
  await assert.rejects(exec('flock', ['--nonblock', file, 'true']), (e: { code?: number }) => e.code === 1);
  await lock.release();
  await assert.rejects(stat(file), { code: 'ENOENT' });
  await exec('flock', ['--nonblock', file, 'true']); // free
});

test('xensnap and a libxl-protocol contender take turns 30 times each and are never inside together', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'userdata-l.3.11111111-2222-4333-8444-555555555555.qmp-socket-lock');
  const log = join(dir, 'log');
  const contender = spawn(process.execPath, [join(STUBS, 'libxl-lock-contender.mjs'), file, '30', '3', log, 'libxl'], { stdio: 'inherit' });
  t.after(() => contender.kill('SIGKILL'));
  const ended = new Promise<number | null>((r) => contender.once('exit', r));
  for (let i = 0; i < 30; i++) {
    const lock = await acquireFileLock(file, 20_000);
    await appendFile(log, 'enter xensnap\n');
    await new Promise((r) => setTimeout(r, 2));
    await appendFile(log, 'leave xensnap\n');
    await lock.release();
  }
  assert.equal(await ended, 0);
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 120);
  for (let i = 0; i < lines.length; i += 2) {
    const who = lines[i]!.split(' ')[1];
    assert.deepEqual([lines[i], lines[i + 1]], [`enter ${who}`, `leave ${who}`], `line ${i + 1}: a holder entered while another was inside`);
  }
  assert.ok(lines.includes('enter libxl') && lines.includes('enter xensnap'));
});

test('a holder that keeps the lock makes xensnap wait, then fail naming the file and the wait', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'userdata-l.9.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee.qmp-socket-lock');
  const holder = spawn(process.execPath, [join(STUBS, 'libxl-lock-contender.mjs'), file, '1', '30000', join(dir, 'log'), 'libxl'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  await waitUntilLocked(file);
  const t0 = Date.now();
  await assert.rejects(acquireFileLock(file, 1000), {
    name: 'BackendError',
    message: `cannot take the lock ${file}: still held by another process after 1000 ms (command: flock --exclusive --wait 1 3; exit code: 1)`,
  });
  assert.ok(Date.now() - t0 >= 900);
});
