// Issue 17, items 4-7 through the CLI: --at never in the future, impossible dates, no stack
// traces for what a user can cause, JSON failures with --json, validate checks what the
// config names (and only that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cli, treeState } from './one-off-helpers.js';
import { reportError } from '../../src/cli/report-error.js';
import { packageInfo } from '../../src/cli/package-info.js';

const POLICY = `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: web
spec:
  selector:
    names: ["web-*"]
  schedule: "0 * * * *"
  retention:
    keepLast: 3
`;

/** A qemu host with no domain: enough for every check made before a domain is touched. */
async function emptyHost(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-edges-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'policies'));
  await mkdir(join(dir, 'state'), { mode: 0o700 });
  await writeFile(join(dir, 'policies', 'web.yaml'), POLICY);
  await writeFile(join(dir, 'inventory.yaml'), 'domains: []\n');
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${join(dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nhypervisor: qemu\nqemu: { inventory: ${join(dir, 'inventory.yaml')} }\n`);
  return { dir, config, state: join(dir, 'state') };
}

const NO_STACK = /\n\s+at /;

test('4: apply --at and run --once --at refuse the future; a saved plan for the future is refused too; nothing changes', async (t) => {
  const h = await emptyHost(t);
  const before = await treeState(h.dir);
  const apply = await cli(h.config, 'apply', '--yes', '--at', '2030-06-01T00:30:00Z');
  assert.equal(apply.code, 1);
  assert.equal(apply.out, '');
  assert.match(apply.err, /^apply: --at 2030-06-01T00:30:00Z is in the future \(this host's clock says \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); changes are made only for the present or the past \(up to 5 minutes ahead, for clock skew\): a snapshot for a future slot would count as the newest until then; nothing was changed\n$/);
  const run = await cli(h.config, 'run', '--once', '--at', '2030-06-01T00:30:00Z');
  assert.equal(run.code, 1);
  assert.match(run.err, /^run: --at 2030-06-01T00:30:00Z is in the future /);
  assert.deepEqual(await cli(h.config, 'run', '--at', '2026-01-01T00:00:00Z'), { code: 1, out: '', err: 'run: --at goes with --once only (the loop plans for the present)\n' });
  // plan may look ahead; a plan saved for the future is not applied
  const file = join(h.dir, 'future.plan');
  assert.equal((await cli(h.config, 'plan', '--at', '2030-06-01T00:30:00Z', '-o', file)).code, 0);
  const saved = await cli(h.config, 'apply', file, '--yes');
  assert.equal(saved.code, 1);
  assert.match(saved.err, new RegExp(`^apply: plan ${file} was made for 2030-06-01T00:30:00.000Z, which is in the future `));
  const after = await treeState(h.dir);
  delete after[`${basename(h.dir)}/future.plan`];
  assert.deepEqual(after, before);
  // a minute ahead is clock skew, not the future
  const soon = new Date(Date.now() + 60_000).toISOString();
  assert.equal((await cli(h.config, 'apply', '--yes', '--at', soon)).code, 0);
});

test('4: impossible dates are errors everywhere, never rolled over', async (t) => {
  const h = await emptyHost(t);
  assert.deepEqual(await cli(h.config, 'plan', '--at', '2026-02-30T00:00:00Z'), { code: 1, out: '', err: '--at: "2026-02-30T00:00:00Z" is not a time: February 2026 has 28 days\n' });
  assert.deepEqual(await cli(h.config, 'apply', '--yes', '--at', '2026-04-31T10:00:00Z'), { code: 1, out: '', err: '--at: "2026-04-31T10:00:00Z" is not a time: April 2026 has 30 days\n' });
  assert.deepEqual(await cli(h.config, 'plan', '--at', '2026-01-01T24:00:00Z'), { code: 1, out: '', err: '--at: "2026-01-01T24:00:00Z" is not a time: there is no hour 24\n' });
  assert.deepEqual(await cli(h.config, 'plan', '--at', '2026-01-01T10:00:00+25:00'), { code: 1, out: '', err: '--at: "2026-01-01T10:00:00+25:00" has an impossible offset +25:00 (offsets run from -14:00 to +14:00)\n' });
  assert.deepEqual(await cli(h.config, 'run', '--once', '--at', '2026-13-01T00:00:00Z'), { code: 1, out: '', err: '--at: "2026-13-01T00:00:00Z" is not a time: there is no month 13\n' });
  const policy = join(h.dir, 'policies', 'web.yaml');
  assert.deepEqual(await cli(h.config, 'simulate', '--policy', policy, '--from', '2025-02-29', '--to', '2026-01-01'), { code: 1, out: '', err: 'simulate: --from: "2025-02-29" is not a date: February 2025 has 28 days\n' });
  assert.deepEqual(await cli(h.config, 'simulate', '--policy', policy, '--from', '2026-01-01', '--to', '2026-06-31T00:00:00Z'), { code: 1, out: '', err: 'simulate: --to: "2026-06-31T00:00:00Z" is not a time: June 2026 has 30 days\n' });
  // a leap day that exists is fine
  assert.equal((await cli(h.config, 'plan', '--at', '2028-02-29T12:00:00+01:00')).code, 0);
});

test('5: paths a user names give one line, never a stack trace; a stateDir that is a file is a config error for every command', async (t) => {
  const h = await emptyHost(t);
  const missing = await cli(h.config, 'plan', '-o', '/nonexistent/dir/x');
  assert.deepEqual(missing, { code: 1, out: missing.out, err: '-o /nonexistent/dir/x: directory /nonexistent/dir does not exist; nothing was written\n' });
  const isDir = await cli(h.config, 'plan', '-o', h.dir);
  assert.deepEqual(isDir, { code: 1, out: isDir.out, err: `-o ${h.dir}: is a directory; name a file to write; nothing was written\n` });
  const underFile = await cli(h.config, 'plan', '-o', join(h.config, 'x'));
  assert.equal(underFile.err, `-o ${join(h.config, 'x')}: ${h.config} is not a directory; nothing was written\n`);

  const stateFile = join(h.dir, 'state-file');
  await writeFile(stateFile, 'not a directory\n');
  const bad = join(h.dir, 'bad-config.yaml');
  await writeFile(bad, `stateDir: ${stateFile}\npolicyDir: ${join(h.dir, 'policies')}\nhypervisor: qemu\nqemu: { inventory: ${join(h.dir, 'inventory.yaml')} }\n`);
  const want = `${bad}:1:11: stateDir ${stateFile} is not a directory (it is a file)\n`;
  for (const args of [['plan'], ['apply', '--yes'], ['list'], ['create', 'web-1'], ['run', '--once'], ['status'], ['validate']]) {
    const r = await cli(bad, ...args);
    assert.deepEqual({ code: r.code, err: r.err }, { code: 1, err: want + (args[0] === 'validate' ? `xensnap validate: no policy checked: the host config ${bad} is invalid, so its policyDir is unknown; fix it, or name policy paths\n` : '') }, args.join(' '));
    assert.doesNotMatch(r.err, NO_STACK);
  }
  const nested = join(h.dir, 'nested-config.yaml');
  await writeFile(nested, `stateDir: ${join(stateFile, 'sub')}\n`);
  assert.equal((await cli(nested, 'list')).err, `${nested}:1:11: stateDir ${join(stateFile, 'sub')} cannot exist: a parent directory in it is a file\n`);
});

test('5: file system errors are one line; anything else says it is a bug in xensnap and where to report it', () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y'"), { code: 'ENOENT', syscall: 'open', path: '/x/y' });
  assert.deepEqual(reportError(enoent).text, 'xensnap: cannot open /x/y: no such file or directory');
  assert.equal(reportError(enoent).kind, 'environment');
  const bug = reportError(new TypeError("Cannot read properties of undefined (reading 'disks')"));
  assert.equal(bug.kind, 'internal');
  const lines = bug.text.split('\n');
  assert.equal(lines[0], "xensnap: internal error: Cannot read properties of undefined (reading 'disks')");
  assert.equal(lines[1], `This is a bug in xensnap ${packageInfo().version}, not a problem with your input. Please report it at ${packageInfo().bugs}`);
  assert.match(packageInfo().bugs, /^https:\/\//);
  assert.equal(lines[2], 'with the command you ran and the lines below:');
  assert.match(lines[3]!, /^TypeError: Cannot read properties/);
});

test('6: --json failures are JSON on stdout with the same exit code', async (t) => {
  const h = await emptyHost(t);
  const create = await cli(h.config, 'create', 'nosuch', '--json');
  assert.equal(create.code, 1);
  assert.equal(create.err, '');
  assert.deepEqual(JSON.parse(create.out), { formatVersion: 1, error: 'create: no domain named "nosuch" on this host', kind: 'user-input', diagnostics: [] });
  await writeFile(join(h.dir, 'policies', 'broken.yaml'), POLICY.replace('keepLast: 3', 'keepLast: -1').replace('name: web', 'name: web2'));
  const plan = await cli(h.config, 'plan', '--json');
  assert.equal(plan.code, 1);
  assert.equal(plan.err, '');
  const file = join(h.dir, 'policies', 'broken.yaml');
  assert.deepEqual(JSON.parse(plan.out), {
    formatVersion: 1,
    error: 'invalid policies',
    kind: 'user-input',
    diagnostics: [{ file, line: 10, col: 15, path: '/spec/retention/keepLast', message: 'spec.retention.keepLast must be at least 0 (got -1)' }],
  });
  // the same failure without --json: text on stderr, same exit code
  assert.deepEqual(await cli(h.config, 'plan'), { code: 1, out: '', err: `${file}:10:15: spec.retention.keepLast must be at least 0 (got -1)\n` });
  for (const args of [['list', '--json', '--bogus'], ['apply', '--json', '--at', 'soon'], ['status', '--json'], ['simulate', '--json']]) {
    const r = await cli(h.config, ...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.err, '', args.join(' '));
    assert.equal(typeof JSON.parse(r.out).error, 'string', args.join(' '));
  }
});

test('7: validate checks the host config and the qemu inventory it names, and no policy dir the config does not name', async (t) => {
  const h = await emptyHost(t);
  assert.deepEqual(await cli(h.config, 'validate'), { code: 0, out: `1 policy valid; qemu inventory ${join(h.dir, 'inventory.yaml')} valid\n`, err: '' });
  // a broken inventory: validate says what plan would refuse, at the same place
  await writeFile(join(h.dir, 'inventory.yaml'), 'domains:\n  - name: web-1\n    qmp: relative.qmp\n    disks: []\n');
  const inv = join(h.dir, 'inventory.yaml');
  const problem = `${inv}:3:10: qmp 'relative.qmp' must be an absolute, normalised file path\n`;
  assert.deepEqual(await cli(h.config, 'validate'), { code: 1, out: '', err: problem });
  assert.deepEqual(await cli(h.config, 'plan'), { code: 1, out: '', err: problem });
  // an invalid config: its problems, and no word about /etc/xensnap/policies or any other dir
  const bad = join(h.dir, 'bad.yaml');
  await writeFile(bad, 'hypervisor: kvm\n');
  assert.deepEqual(await cli(bad, 'validate'), {
    code: 1,
    out: '',
    err: `${bad}:1:13: hypervisor must be one of: xen, qemu (got "kvm")\nxensnap validate: no policy checked: the host config ${bad} is invalid, so its policyDir is unknown; fix it, or name policy paths\n`,
  });
  const j = await cli(bad, 'validate', '--json');
  assert.deepEqual(JSON.parse(j.out).checked, { config: bad, inventory: null, policies: [] });
});
