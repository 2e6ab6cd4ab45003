import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { BASE, edit, named } from './policy-text.js';
import { POLICY_FIXTURES, REPO_ROOT } from './test-paths.js';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const stream = (add: (s: string) => void) => ({ write: (s: string) => (add(s), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(args, { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)), env });
  return { code, stdout, stderr };
}

/** Every entry under dir with its size, mode and times: any write would change it. */
async function snapshotTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const st = await stat(p).catch(() => null);
      out.push(`${p} ${st ? `${st.size} ${st.mode} ${st.mtimeMs} ${st.ctimeMs}` : 'unstatable'}`);
      if (st?.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('validate policies/ examples/policies/ exits 0 (the repository\'s own policies)', async () => {
  const trees = async () => [
    ...(await snapshotTree(join(REPO_ROOT, 'policies'))),
    ...(await snapshotTree(join(REPO_ROOT, 'examples', 'policies'))),
    ...(await snapshotTree(join(REPO_ROOT, 'examples', 'config'))),
  ];
  const before = await trees();
  const config = join(REPO_ROOT, 'examples', 'config', 'config.yaml.example');
  const r = await cli(['--config', config, 'validate', join(REPO_ROOT, 'policies'), join(REPO_ROOT, 'examples', 'policies')]);
  assert.deepEqual(r, { code: 0, stdout: '5 policies valid\n', stderr: '' });
  assert.deepEqual(await trees(), before);
});

test('one policy: singular; --json gives the names', async () => {
  const f = join(POLICY_FIXTURES, 'good', 'web.yaml');
  assert.deepEqual(await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), 'validate', f]), {
    code: 0,
    stdout: '1 policy valid\n',
    stderr: '',
  });
  const j = await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), 'validate', '--json', f]);
  assert.equal(j.code, 0);
  assert.equal(j.stderr, '');
  assert.deepEqual(JSON.parse(j.stdout), {
    formatVersion: 1,
    valid: true,
    policies: ['web'],
    diagnostics: [],
    checked: { config: join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), inventory: null, policies: [f] },
    notes: [],
  });
});

test('bad policies: every diagnostic sorted on stderr, exit 1, nothing on stdout', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'b.yaml'), edit('"0 * * * *"', '"0 0 * * * *"', named('web')));
  await writeFile(join(dir, 'a.yaml'), BASE + '---\n' + edit('keepLast: 3', 'keepLast: -1', named('db')));
  await writeFile(join(dir, 'c.yaml'), edit('  schedule:', '  timezone: Mars/Olympus\n  schedule:', named('web')));
  const before = await snapshotTree(dir);
  const expected = [
    `${dir}/a.yaml:21:15: spec.retention.keepLast must be at least 0 (got -1)`,
    `${dir}/b.yaml:4:9: duplicate policy name "web" (also defined at ${dir}/a.yaml:4:9)`,
    `${dir}/b.yaml:8:13: spec.schedule "0 0 * * * *" must have 5 fields (minute hour day-of-month month day-of-week), not 6`,
    `${dir}/c.yaml:4:9: duplicate policy name "web" (also defined at ${dir}/a.yaml:4:9)`,
    `${dir}/c.yaml:8:13: unknown timezone "Mars/Olympus" (expected an IANA name like Europe/Paris or UTC)`,
  ];
  const r2 = await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), 'validate', dir]);
  assert.deepEqual(r2, { code: 1, stdout: '', stderr: expected.join('\n') + '\n' });
  // an explicitly named config file must exist; its problem is sorted in with the others
  const r = await cli(['validate', dir], { XENSNAP_CONFIG: join(dir, 'absent.yaml') });
  const withConfig = [expected[0], `${dir}/absent.yaml:1:1: cannot read: no such file or directory`, ...expected.slice(1)];
  assert.deepEqual(r, { code: 1, stdout: '', stderr: withConfig.join('\n') + '\n' });
  const j = await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), 'validate', dir, '--json']);
  assert.equal(j.code, 1);
  assert.equal(j.stderr, '');
  const parsed = JSON.parse(j.stdout);
  assert.deepEqual(parsed.valid, false);
  assert.deepEqual(parsed.policies, ['web']);
  assert.deepEqual(parsed.diagnostics[0], {
    file: `${dir}/a.yaml`,
    line: 21,
    col: 15,
    path: '/spec/retention/keepLast',
    message: 'spec.retention.keepLast must be at least 0 (got -1)',
  });
  assert.equal(parsed.diagnostics.length, 5);
  assert.deepEqual(await snapshotTree(dir), before);
});

test('default path: the host config\'s policyDir, relative to the config file', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'etc', 'pol'), { recursive: true });
  await writeFile(join(dir, 'etc', 'config.yaml'), 'policyDir: pol\nhooks:\n  backup: { pre: [/usr/bin/true] }\n');
  await writeFile(join(dir, 'etc', 'pol', 'web.yaml'), BASE);
  await writeFile(join(dir, 'etc', 'pol', 'db.yaml'), edit('  schedule:', '  hooks: flush-db\n  schedule:', named('db')));
  const before = await snapshotTree(dir);
  const r = await cli(['validate'], { XENSNAP_CONFIG: join(dir, 'etc', 'config.yaml') });
  assert.deepEqual(r, {
    code: 1,
    stdout: '',
    stderr: `${dir}/etc/pol/db.yaml:8:10: hook profile "flush-db" is not defined in the host config ${dir}/etc/config.yaml (defined: backup)\n`,
  });
  await writeFile(join(dir, 'etc', 'pol', 'db.yaml'), edit('  schedule:', '  hooks: backup\n  schedule:', named('db')));
  const ok = await cli(['validate'], { XENSNAP_CONFIG: join(dir, 'etc', 'config.yaml') });
  assert.deepEqual(ok, { code: 0, stdout: '2 policies valid\n', stderr: '' });
  assert.deepEqual((await snapshotTree(dir)).filter((l) => !l.includes('db.yaml')), before.filter((l) => !l.includes('db.yaml')));
});

test('an invalid host config is reported too, and fails validation', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.yaml'), 'hypervisor: kvm\n');
  const r = await cli(['--config', join(dir, 'config.yaml'), 'validate', join(POLICY_FIXTURES, 'good')]);
  assert.deepEqual(r, { code: 1, stdout: '', stderr: `${dir}/config.yaml:1:13: hypervisor must be one of: xen, qemu (got "kvm")\n` });
});

test('bad arguments exit 1 with the usage; help describes the command', async () => {
  const r = await cli(['validate', '--jsn']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^validate: Unknown option '--jsn'/);
  // with --json the argument error is JSON on stdout, same exit code
  const j = await cli(['validate', '--json', '--jsn']);
  assert.equal(j.code, 1);
  assert.equal(j.stderr, '');
  assert.match(JSON.parse(j.stdout).error, /^validate: Unknown option '--jsn'/);
  const h = await cli(['help', 'validate']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: xensnap validate \[PATH\.\.\.\] \[-l\|--long\] \[--json\]\n/);
  assert.match(h.stdout, /never writes anything/);
});

test('a missing path is a diagnostic with exit 1', async () => {
  const r = await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), 'validate', '/nonexistent/policies']);
  assert.deepEqual(r, { code: 1, stdout: '', stderr: '/nonexistent/policies:1:1: cannot read: no such file or directory\n' });
});

test('validate -l prints the valid policies as a table before the count', async () => {
  const r = await cli(['validate', '-l', join(REPO_ROOT, 'examples', 'policies', 'lab-internal.yaml')]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, [
    'POLICY        SELECTS                                     DISKS  SCHEDULE     TIMEZONE  MODE       TYPE      RETENTION         ON REMOVAL',
    'lab-internal  lab-* 3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10  all    */5 * * * *  UTC       disk-only  internal  last=6 hourly=12  Delete',
    '',
    '1 policy valid',
    '',
  ].join('\n'));
});

test('with a host config, validate says which disks an internal and an external policy both select, and what that costs', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'pol'));
  await writeFile(join(dir, 'inventory.yaml'), `domains:\n  - name: db-1\n    qmp: ${dir}/db-1.qmp\n    disks:\n      - { vdev: xvda, path: ${dir}/db-1-xvda.qcow2, format: qcow2 }\n  - name: web-1\n    qmp: ${dir}/web-1.qmp\n    disks:\n      - { vdev: xvda, path: ${dir}/web-1-xvda.qcow2, format: qcow2 }\n`);
  await writeFile(join(dir, 'config.yaml'), `stateDir: ${dir}/state\npolicyDir: ${dir}/pol\nhypervisor: qemu\nqemu: { inventory: ${dir}/inventory.yaml }\n`);
  await writeFile(join(dir, 'pol', 'ext.yaml'), named('nightly').replace('names: ["web-*"]', 'names: ["*-1"]'));
  await writeFile(join(dir, 'pol', 'int.yaml'), edit('  schedule:', '  type: internal\n  schedule:', named('daily').replace('names: ["web-*"]', 'names: ["db-*"]')));
  const r = await cli(['--config', join(dir, 'config.yaml'), 'validate']);
  assert.deepEqual(r, {
    code: 0,
    stdout:
      'note: domain db-1: disk xvda is selected by internal policy daily and external policy nightly: internal snapshots end up inside frozen images, so deleting either kind needs an offline merge that keeps the other exact (a cluster-level merge or a commit), and while the domain runs those deletes wait until it is shut off\n' +
      `2 policies valid; qemu inventory ${dir}/inventory.yaml valid\n`,
    stderr: '',
  });
});

test("make demo's validate line (examples/demo.sh) passes on the shipped policies", async () => {
  const { readFile } = await import('node:fs/promises');
  const demo = await readFile(join(REPO_ROOT, 'examples', 'demo.sh'), 'utf8');
  const line = demo.split('\n').find((l) => l.startsWith('xensnap validate '));
  assert.ok(line, 'demo.sh runs xensnap validate');
  const [cmd, ...rest] = line.split(/\s+/).slice(1);
  const args = [cmd!, ...rest.map((a) => (a.startsWith('-') ? a : join(REPO_ROOT, a)))];
  const r = await cli(['--config', join(REPO_ROOT, 'examples', 'config', 'config.yaml.example'), ...args]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0, r.stdout);
});
