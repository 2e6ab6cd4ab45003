// ENOSPC: images and state on an 8 MiB tmpfs, filled up between planning and applying.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertConverged, cli, guestWrites, onlyPolicy, slot, xenWorld, type World, type WorldDomain } from './crash-world.js';

const exec = promisify(execFile);

async function tmpfsWorld(t: { after(fn: () => Promise<void>): void }): Promise<{ w: World; mnt: string }> {
  const mnt = await mkdtemp(join(tmpdir(), 'xensnap-full-'));
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  t.after(async () => {
    await exec('umount', [mnt]).catch(() => exec('umount', ['-l', mnt]));
    await rm(mnt, { recursive: true, force: true });
  });
  return { w: await xenWorld(join(mnt, 'w')), mnt };
}

/** Plans with room (the planner's capacity guard would hold a create back), fills the disk, applies the saved plan. */
async function createOnFullDisk(w: World, mnt: string, dom: WorldDomain, type: 'external' | 'internal'): Promise<void> {
  const policy = await onlyPolicy(w, dom.name, type);
  await guestWrites(dom, 1);
  const s = slot(policy, 1);
  const planFile = join(w.dir, '..', `plan-${dom.name}-${type}.json`);
  const p = await cli(w, ['plan', '--at', s.at, '-o', planFile]);
  assert.equal(p.code, 0, p.stderr);
  const filler = join(mnt, 'filler');
  const fs = await statfs(mnt);
  await writeFile(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 8192)));
  const r = await cli(w, ['apply', '--yes', planFile]);
  assert.equal(r.code, 1, `${dom.name} ${type}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, new RegExp(`\\+ ${dom.name} ${s.snapshot}: FAILED: .*(ENOSPC|No space left)`));
  const images = await readdir(w.images);
  assert.deepEqual(images.filter((f) => f.startsWith(`${dom.name}-`) && (f.includes(`@${policy}`) || f.includes('xensnap-new'))), [], `${dom.name} ${type}: partial files`);
  assert.deepEqual(await readdir(join(w.state, '.journal')).catch(() => []), [], 'journal left');
  for (const e of await readdir(w.state, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.')) assert.deepEqual((await readdir(join(w.state, e.name))).filter((n) => n.includes(policy) || n.includes('.tmp')), [], 'partial metadata');
  }
  await rm(filler);
  await rm(planFile);
  const again = await cli(w, ['apply', '--yes', '--at', s.at]);
  assert.equal(again.code, 0, `${dom.name} ${type} with room: ${again.stdout}${again.stderr}`);
  await assertConverged(w, dom, type, s.snapshot, s.at, `${dom.name} ${type} after ENOSPC`);
}

test('ENOSPC during an external create (qdisk qcow2 and blktap VHD) fails cleanly; with room the next apply succeeds', async (t) => {
  const { w, mnt } = await tmpfsWorld(t);
  await createOnFullDisk(w, mnt, w.domains[0]!, 'external');
  await createOnFullDisk(w, mnt, w.domains[1]!, 'external');
});

test('ENOSPC during an offline internal create leaves no leaked cluster (qdisk backend)', async (t) => {
  const { w, mnt } = await tmpfsWorld(t);
  await createOnFullDisk(w, mnt, w.domains[0]!, 'internal');
});
