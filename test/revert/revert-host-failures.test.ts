// What an operator meets: a tag that is gone, a full file system, a failing xl. Nothing changes
// before the checks pass; a failure after they passed ends as before the revert, and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { writeFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { testHooks } from '../../src/journal/crash-points.js';
import { qemuRevertWorld, worldDir, type RevertWorld } from '../crash/revert-world.js';
import { assertEndState, prepareCell } from '../crash/revert-matrix.js';
import { xenCell } from '../crash/revert-cells.js';
import { treeState } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);

async function files(w: RevertWorld) {
  return treeState(w.images, w.state);
}

test('a tag removed by hand: refused before anything changes; the running domain is not stopped', async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-rvh-tag-'));
  t.after(() => w.close());
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '-n', 'i1')).code, 0);
  for (const d of w.disks) await exec('qemu-img', ['snapshot', '-d', 'i1', d.path]);
  await w.start();
  const before = await files(w);
  const r = await w.cli('revert', 'vm-1', 'i1', '--yes', '--stop');
  assert.equal(r.code, 1);
  assert.equal(r.err, `revert: disk xvda: internal snapshot "i1" is in no image of the disk (the chain of ${w.disks[0]!.path}); nothing was changed\n`);
  assert.ok(r.out.endsWith(`note: also refused: disk xvdb: internal snapshot "i1" is in no image of the disk (the chain of ${w.disks[1]!.path})\n`), r.out);
  assert.equal(await w.status(), 'running');
  assert.deepEqual(await files(w), before);
});

async function tmpfs(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const mnt = await worldDir('xensnap-rvh-full-');
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt]);
  t.after(async () => {
    await exec('umount', [mnt]).catch(() => exec('umount', ['-l', mnt]));
    await rm(mnt, { recursive: true, force: true });
  });
  return mnt;
}

test('a full file system: refused by the space check, or (filled after it) the build fails with ENOSPC and the revert rolls back', async (t) => {
  const mnt = await tmpfs(t);
  const w = await qemuRevertWorld(join(mnt, 'w'));
  await w.write(1);
  await w.write(2);
  assert.equal((await w.cli('create', 'vm-1', '--type', 'internal', '-n', 'i1')).code, 0);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1')).code, 0);
  await w.write(1); // differs from i1 in one chunk per disk
  const cell = await prepareCell('qcow2 internal below the leaf, small tmpfs', w, { target: 'i1', args: [], withMemory: false, running: false });
  await w.reset();
  const filler = join(mnt, 'filler');
  const fill = (leave: number) => {
    const fs = statfsSync(mnt);
    writeFileSync(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - leave)));
  };
  fill(256 * 1024);
  const before = await files(w);
  const refused = await w.cli('revert', 'vm-1', 'i1', '--yes');
  assert.equal(refused.code, 1);
  assert.match(refused.err, new RegExp(`^revert: not enough free space for the revert on the file system of ${w.images}: it needs up to \\d+\\.\\d MiB, \\d+\\.\\d KiB is free; nothing was changed\\n$`));
  assert.deepEqual(await files(w), before);
  await rm(filler);

  // The check passes; the file system fills up while the first leaf is built.
  testHooks.at = (phase, label) => {
    if (phase === 'intent' && label === 'revert.build-leaf:xvda') fill(0);
  };
  let r;
  try {
    r = await w.cli('revert', 'vm-1', 'i1', '--yes');
  } finally {
    testHooks.at = null;
  }
  await rm(filler);
  assert.equal(r.code, 1);
  assert.match(r.err, /^revert of vm-1 to i1 failed: .*(No space left|ENOSPC)/);
  assert.ok(r.err.endsWith('\nvm-1 is as before the revert: its disks are as they were and no pre-revert snapshot was kept; vm-1 is shut off\n'), r.err);
  await assertEndState(cell, 'as-before', 'shutoff', 'after ENOSPC');
  assert.deepEqual(await files(w), before, 'byte for byte as before');
  const again = await w.cli('revert', 'vm-1', 'i1', '--yes');
  assert.equal(again.code, 0, again.err);
  await assertEndState(cell, 'reverted', 'shutoff', 'with room');
  assert.ok((await statfs(mnt)).bavail > 0);
});

async function xlFails(w: RevertWorld, command: string, stderr: string): Promise<void> {
  const path = w.env.XENSNAP_XL_STATE!;
  const world = JSON.parse(await readFile(path, 'utf8'));
  world.failures = [{ command, domain: 'leg-1', exitCode: 1, stderr }];
  await writeFile(path, JSON.stringify(world));
}

test('a failing xl: list refuses before anything; destroy leaves the domain as before and running; restore rolls the disks back', async (t) => {
  const cell = await xenCell(t, 'live');
  const { w } = cell;
  await w.reset();
  await xlFails(w, 'list', 'libxl: error: injected: cannot list\n');
  const before = await files(w);
  const listed = await w.cli('revert', 'leg-1', 's1', '--yes', '--stop');
  assert.equal(listed.code, 1);
  assert.equal(listed.err, 'xl failed (command: xl list leg-1; exit code: 1; stderr: libxl: error: injected: cannot list)\n');
  assert.deepEqual(await files(w), before);
  assert.equal(await w.status(), 'running');

  await w.reset();
  await xlFails(w, 'destroy', 'libxl: error: injected: cannot destroy\n');
  const destroyed = await w.cli('revert', 'leg-1', 's1', '--yes', '--stop');
  assert.equal(destroyed.code, 1);
  assert.equal(destroyed.err, 'revert of leg-1 to s1 failed: xl failed (command: xl destroy leg-1; exit code: 1; stderr: libxl: error: injected: cannot destroy)\nleg-1 is as before the revert: its disks are as they were and no pre-revert snapshot was kept; leg-1 is running\n');
  await assertEndState(cell, 'as-before', 'running', 'xl destroy failed');

  await w.reset();
  const path = w.env.XENSNAP_XL_STATE!;
  const world = JSON.parse(await readFile(path, 'utf8'));
  world.failures = [{ command: 'restore', exitCode: 1, stderr: 'libxl: error: injected: cannot restore\n' }];
  await writeFile(path, JSON.stringify(world));
  const restored = await w.cli('revert', 'leg-1', 's1', '--yes', '--stop');
  assert.equal(restored.code, 1);
  assert.match(restored.err, /^revert of leg-1 to s1 failed: xl failed \(command: xl restore \S+s1\.save; exit code: 1; stderr: libxl: error: injected: cannot restore\)\n/);
  assert.ok(restored.err.endsWith('\nleg-1 is as before the revert: its disks are as they were and no pre-revert snapshot was kept; leg-1 is shut off because --stop had stopped it\n'), restored.err);
  await assertEndState(cell, 'as-before', 'shutoff', 'xl restore failed');
});
