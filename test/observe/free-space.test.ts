import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountPointFor, parseMountinfo, unescapeMountField } from '../../src/observe/free-space-mountinfo.js';
import { devId, measureFilesystems } from '../../src/observe/free-space.js';

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '35 22 0:31 / /srv/vm\\040images rw,nosuid shared:12 - tmpfs tmpfs rw,size=16384k',
  '36 22 8:1 /data /mnt/bind rw,relatime - ext4 /dev/sda1 rw',
  '37 22 8:2 / /mnt/tab\\011and\\134slash rw master:3 shared:9 - xfs /dev/sda2 rw',
  'garbage line',
  '',
].join('\n');

test('mountinfo: fields, octal escapes, optional fields, bad lines skipped', () => {
  assert.deepEqual(parseMountinfo(MOUNTINFO), [
    { dev: '8:1', mount: '/', fstype: 'ext4' },
    { dev: '0:31', mount: '/srv/vm images', fstype: 'tmpfs' },
    { dev: '8:1', mount: '/mnt/bind', fstype: 'ext4' },
    { dev: '8:2', mount: '/mnt/tab\tand\\slash', fstype: 'xfs' },
  ]);
  assert.equal(unescapeMountField('a\\040b\\012c'), 'a b\nc');
});

test('mountinfo: the mount point of a path is the longest mount of its device containing it', () => {
  const m = parseMountinfo(MOUNTINFO);
  assert.equal(mountPointFor(m, '0:31', '/srv/vm images/web.qcow2'), '/srv/vm images');
  assert.equal(mountPointFor(m, '8:1', '/mnt/bind/x.qcow2'), '/mnt/bind');
  assert.equal(mountPointFor(m, '8:1', '/var/lib/xensnap'), '/');
  assert.equal(mountPointFor(m, '8:2', '/elsewhere'), '/mnt/tab\tand\\slash');
  assert.equal(mountPointFor(m, '9:9', '/x'), null);
});

test('devId splits dev_t as glibc does', () => {
  assert.equal(devId(0x801n), '8:1');
  // major 259, minor 300: minor's high bits sit above the major's
  assert.equal(devId(44n | (259n << 8n) | (256n << 12n)), '259:300');
  assert.equal(devId(31n), '0:31');
});

test('measureFilesystems on a real tmpfs whose mount point holds a space', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-fs-'));
  const dir = join(base, 'vm images');
  await mkdir(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
  t.after(async () => {
    execFileSync('umount', [dir]);
    await rm(base, { recursive: true, force: true });
  });
  await writeFile(join(dir, 'a.img'), Buffer.alloc(4 * 1048576, 1));
  await writeFile(join(dir, 'b.img'), Buffer.alloc(4096, 1));
  const stateDir = join(dir, 'state', 'not-yet'); // measured where it would be created
  const { filesystems, fsOf } = await measureFilesystems([join(dir, 'a.img'), join(dir, 'b.img'), stateDir, join(dir, 'gone.img', 'x')]);
  const tmpfs = filesystems.find((f) => f.mount === dir);
  assert.ok(tmpfs, `no filesystem named ${dir} in ${JSON.stringify(filesystems)}`);
  assert.deepEqual(
    { total: tmpfs.totalBytes, free: tmpfs.freeBytes, paths: tmpfs.paths },
    { total: 16 * 1048576, free: 16 * 1048576 - 4 * 1048576 - 4096, paths: [join(dir, 'a.img'), join(dir, 'b.img'), join(dir, 'gone.img', 'x'), stateDir] },
  );
  assert.equal(fsOf.get(stateDir), tmpfs.id);
  assert.match(tmpfs.id, /^0:\d+$/);
});
