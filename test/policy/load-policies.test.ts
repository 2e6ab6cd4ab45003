import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicies } from '../../src/policy/load-policies.js';
import { BASE, named } from './policy-text.js';
import { POLICY_FIXTURES } from './test-paths.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-policy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `file:line:col: message` with the temp dir shown as `T`. */
function lines(diags: Array<{ file: string; line: number; col: number; message: string }>, dir: string): string[] {
  return diags.map((d) => `${d.file.replace(dir, 'T')}:${d.line}:${d.col}: ${d.message.split(dir).join('T')}`);
}

test('a 50 MiB (sparse) file is refused by its size from stat, without reading it', async (t) => {
  const dir = await tempDir(t);
  const big = join(dir, 'big.yaml');
  await writeFile(big, '');
  await truncate(big, 50 * 1024 * 1024);
  const before = process.memoryUsage().arrayBuffers;
  const r = await loadPolicies([big]);
  // the full size can only come from stat: a bounded read stops at 1 MiB + 1
  assert.deepEqual(lines(r.diagnostics, dir), [
    'T/big.yaml:1:1: file is too large (52428800 bytes); the limit is 1048576 bytes (1 MiB)',
  ]);
  assert.ok(process.memoryUsage().arrayBuffers - before < 40 * 1024 * 1024);
  assert.deepEqual(r.policies, []);
});

test('invalid UTF-8 is refused at the offending byte', async (t) => {
  const dir = await tempDir(t);
  const f = join(dir, 'latin1.yaml');
  // "café" in Latin-1: the é is byte 0xe9, at line 1, column 6
  await writeFile(f, Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\n' + BASE)]));
  const r = await loadPolicies([f]);
  assert.deepEqual(lines(r.diagnostics, dir), ['T/latin1.yaml:1:6: invalid UTF-8 (byte 0xe9 at offset 5)']);
});

test('an overlong UTF-8 encoding and a lone continuation byte are refused too', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf, 0x0a]));
  await writeFile(join(dir, 'b.yaml'), Buffer.concat([Buffer.from('a: b\nc: '), Buffer.from([0x80])]));
  const r = await loadPolicies([dir]);
  assert.deepEqual(lines(r.diagnostics, dir), [
    'T/a.yaml:1:4: invalid UTF-8 (byte 0xc0 at offset 3)',
    'T/b.yaml:2:4: invalid UTF-8 (byte 0x80 at offset 8)',
  ]);
});

test('a binary file (PNG header, NUL bytes) is refused', async (t) => {
  const dir = await tempDir(t);
  const f = join(dir, 'image.yaml');
  await writeFile(f, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  const r = await loadPolicies([f]);
  assert.deepEqual(lines(r.diagnostics, dir), ['T/image.yaml:3:1: binary file (NUL byte at offset 8); expected UTF-8 text']);
});

test('an empty file gets a clear message', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'empty.yaml'), '');
  const r = await loadPolicies([dir]);
  assert.deepEqual(lines(r.diagnostics, dir), ['T/empty.yaml:1:1: empty file: expected at least one SnapshotPolicy document']);
});

test('a directory with symlink loops is walked once and the loops are reported', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await writeFile(join(dir, 'a', 'b', 'p.yaml'), BASE);
  await symlink('../..', join(dir, 'a', 'b', 'up'));
  await symlink('self.yaml', join(dir, 'self.yaml'));
  const r = await loadPolicies([dir]);
  assert.deepEqual(lines(r.diagnostics, dir), [
    'T/a/b/up:1:1: symlink loop: leads back to T, not followed',
    'T/self.yaml:1:1: cannot read: symlink loop (too many levels of symbolic links)',
  ]);
  assert.deepEqual(r.files.map((f) => f.replace(dir, 'T')), ['T/a/b/p.yaml']);
  assert.deepEqual(r.policies.map((p) => p.name), ['web']);
});

test('the same policy name in two files names both places', async (t) => {
  const r = await loadPolicies([join(POLICY_FIXTURES, 'bad')]);
  const dir = join(POLICY_FIXTURES, 'bad');
  assert.deepEqual(lines(r.diagnostics, dir), [
    'T/b-web-again.yml:5:9: duplicate policy name "web" (also defined at T/a-web.yaml:4:9)',
    'T/b-web-again.yml:9:13: unknown timezone "Mars/Olympus" (expected an IANA name like Europe/Paris or UTC)',
  ]);
  assert.deepEqual(r.files.map((f) => f.replace(dir, 'T')), ['T/a-web.yaml', 'T/b-web-again.yml', 'T/c-hooks.yaml']);
  assert.deepEqual(r.policies.map((p) => p.name), ['web', 'db']);
});

test('hook profiles are checked against the host config when one is given', async () => {
  const f = join(POLICY_FIXTURES, 'bad', 'c-hooks.yaml');
  const without = await loadPolicies([f]);
  assert.deepEqual(without.diagnostics, []);
  const withConfig = await loadPolicies([f], { hookProfiles: { names: ['backup', 'quiesce-db'], configFile: 'host.yaml' } });
  assert.deepEqual(lines(withConfig.diagnostics, POLICY_FIXTURES), [
    'T/bad/c-hooks.yaml:9:10: hook profile "flush-db" is not defined in the host config host.yaml (defined: backup, quiesce-db)',
  ]);
  assert.deepEqual(withConfig.policies, []);
});

test('directories: recursive, sorted, *.yaml and *.yml only, hidden entries skipped, each file once', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'z', 'deeper'), { recursive: true });
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, '.git', 'hidden.yaml'), 'not: a policy\n');
  await writeFile(join(dir, '.swap.yaml'), 'not: a policy\n');
  await writeFile(join(dir, 'README.md'), '# not a policy\n');
  await writeFile(join(dir, 'b.yml'), named('b'));
  await writeFile(join(dir, 'a.YAML'), named('a'));
  await writeFile(join(dir, 'z', 'deeper', 'c.yaml'), named('c'));
  await writeFile(join(dir, 'z', 'y.yaml'), named('y'));
  await symlink('b.yml', join(dir, 'link-to-b.yaml'));
  const r = await loadPolicies([dir, join(dir, 'b.yml')]);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.files.map((f) => f.replace(dir, 'T')), ['T/a.YAML', 'T/b.yml', 'T/z/deeper/c.yaml', 'T/z/y.yaml']);
  assert.deepEqual(r.policies.map((p) => p.name), ['a', 'b', 'c', 'y']);
});

test('a missing path, a FIFO and a dangling policy symlink are diagnostics, never exceptions', async (t) => {
  const dir = await tempDir(t);
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  await symlink('nowhere.yaml', join(dir, 'dangling.yaml'));
  await symlink('nowhere.txt', join(dir, 'dangling.txt'));
  const r = await loadPolicies([join(dir, 'missing'), join(dir, 'pipe.yaml'), dir]);
  assert.deepEqual(lines(r.diagnostics, dir), [
    'T/dangling.yaml:1:1: cannot read: no such file or directory',
    'T/missing:1:1: cannot read: no such file or directory',
    'T/pipe.yaml:1:1: not a regular file',
  ]);
});

test('an explicitly named file is read whatever its extension', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'policy.txt'), BASE);
  const r = await loadPolicies([join(dir, 'policy.txt')]);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.policies.map((p) => p.source), [{ file: join(dir, 'policy.txt'), line: 1, col: 1 }]);
});
