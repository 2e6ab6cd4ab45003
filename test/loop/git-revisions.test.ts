import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPolicyRevisions } from '../../src/loop/git-revisions.js';
import { policyDirLoader } from '../../src/loop/policy-source.js';
import { testConfig } from './helpers.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

const policy = (name: string) => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata: { name: ${name} }
spec:
  selector: { names: ["*"] }
  schedule: "0 * * * *"
  mode: disk-only
  type: external
  retention: { keepLast: 2 }
`;

test('provenance: each policy carries the commit of its file; HEAD is the set revision', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'xensnap-git-'));
  t.after(() => rm(repo, { recursive: true, force: true }));
  const dir = join(repo, 'hosts', 'policies');
  await mkdir(dir, { recursive: true });
  git(repo, 'init', '-q');
  await writeFile(join(dir, 'a.yaml'), policy('a'));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'a');
  const c1 = git(repo, 'rev-parse', 'HEAD');
  await writeFile(join(dir, 'b.yaml'), policy('b'));
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'b');
  const c2 = git(repo, 'rev-parse', 'HEAD');
  await writeFile(join(dir, 'c.yaml'), policy('c')); // untracked

  const load = await policyDirLoader()(testConfig({ policyDir: dir }));
  assert.deepEqual(load.diagnostics, []);
  assert.equal(load.revision, c2);
  assert.deepEqual(load.policies.map((p) => [p.name, p.revision]), [['a', c1], ['b', c2], ['c', null]]);

  await writeFile(join(dir, 'a.yaml'), policy('a') + '# edited\n'); // uncommitted change: the commit no longer describes it
  const revs = await readPolicyRevisions(dir, [join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
  assert.equal(revs.head, c2);
  assert.deepEqual([...revs.files], [[join(dir, 'b.yaml'), c2]]);
});

test('provenance: not a Git checkout → no revision, no error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-nogit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.yaml'), policy('a'));
  const load = await policyDirLoader()(testConfig({ policyDir: dir }));
  assert.equal(load.revision, null);
  assert.deepEqual(load.policies.map((p) => [p.name, p.revision]), [['a', null]]);
  const viaFakeGit = await readPolicyRevisions(dir, [join(dir, 'a.yaml')], async () => {
    throw new Error('git not found');
  });
  assert.deepEqual(viaFakeGit, { head: null, files: new Map() });
});
