// Issue 17, item 10: `lab destroy` removes only a lab, and only what the lab made; `lab create`
// refuses a directory that holds anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, treeState } from './one-off-helpers.js';

const NO_CONFIG = '/nonexistent/xensnap-config.yaml';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function qemuPidOf(lab: string): Promise<number> {
  return Number((await readFile(join(lab, 'run', 'web-3.pid'), 'utf8')).trim());
}

test('lab destroy refuses a directory lab create did not make, and lab create a non-empty one: nothing is touched', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-labcmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const precious = join(dir, 'precious');
  await mkdir(join(precious, 'sub'), { recursive: true });
  await writeFile(join(precious, 'notes.txt'), 'keep me\n');
  await writeFile(join(precious, 'sub', 'data.bin'), Buffer.alloc(4096, 7));
  const before = await treeState(precious);
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'destroy', precious), {
    code: 1,
    out: '',
    err: `lab destroy: ${precious} was not made by \`xensnap lab create\` (it has no .xensnap-lab); nothing was removed\n`,
  });
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'create', precious), {
    code: 1,
    out: '',
    err: `lab create: ${precious} is not empty (notes.txt, sub); nothing was written: choose a new or empty directory\n`,
  });
  assert.deepEqual(await treeState(precious), before);
  // a marker someone else wrote (or edited to reach outside) is no licence either
  await writeFile(join(precious, '.xensnap-lab'), JSON.stringify({ formatVersion: 1, createdAt: 'x', madeDir: true, entries: ['../precious'] }));
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'destroy', precious), { code: 1, out: '', err: `lab destroy: ${join(precious, '.xensnap-lab')} is not a lab marker xensnap wrote; nothing was removed\n` });
  assert.deepEqual((await readdir(precious)).sort(), ['.xensnap-lab', 'notes.txt', 'sub']);
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'create', file), { code: 1, out: '', err: `lab create: ${file} exists and is not a directory; nothing was written\n` });
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'destroy', join(dir, 'never-made')), { code: 0, out: `no lab at ${join(dir, 'never-made')}; nothing to remove\n`, err: '' });
});

test('lab destroy removes what lab create made and stops its QEMU; what the operator added stays', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-labcmd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // into an empty directory the operator made: the directory is not the lab's to remove
  const mine = join(dir, 'mine');
  await mkdir(mine);
  const made = await cli(NO_CONFIG, 'lab', 'create', mine);
  assert.equal(made.code, 0, made.err);
  const pid = await qemuPidOf(mine);
  assert.ok(alive(pid));
  await writeFile(join(mine, 'my-notes.txt'), 'mine\n');
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'destroy', mine), { code: 0, out: `lab removed; ${mine} kept: it holds my-notes.txt, which the lab did not make\n`, err: '' });
  assert.deepEqual(await readdir(mine), ['my-notes.txt']);
  for (const end = Date.now() + 20_000; alive(pid) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(pid), false);
  // a lab in a new directory goes entirely
  const fresh = join(dir, 'fresh');
  assert.equal((await cli(NO_CONFIG, 'lab', 'create', fresh)).code, 0);
  assert.deepEqual(await cli(NO_CONFIG, 'lab', 'destroy', fresh), { code: 0, out: `lab ${fresh} removed\n`, err: '' });
  assert.deepEqual(await readdir(dir), ['mine']);
});
