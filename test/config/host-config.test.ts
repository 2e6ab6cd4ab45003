import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHostConfig } from '../../src/config/load-host-config.js';
import { parseHostConfigText } from '../../src/config/parse-host-config-text.js';
import { defaultHostConfig } from '../../src/config/default-host-config.js';
import { REPO_ROOT } from '../policy/test-paths.js';

test('the example host config normalises exactly; relative paths resolve against its directory', async () => {
  const file = join(REPO_ROOT, 'examples', 'config', 'config.yaml.example');
  const r = await loadHostConfig(file);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.config, {
    stateDir: '/var/lib/xen/snapshots',
    policyDir: join(REPO_ROOT, 'examples', 'policies'),
    hypervisor: 'xen',
    xen: { configDir: '/etc/xen', runDir: '/var/run/xen', libDir: '/var/lib/xen' },
    qemu: { inventory: null },
    limits: { maxDeletes: 50, concurrency: 2, minFreePercent: 10, minFreeBytes: 0, maxChainDepth: 30 },
    resyncIntervalMs: 900_000,
    listen: '127.0.0.1:9477',
    hooks: { 'flush-db': { pre: ['/usr/local/sbin/flush-db', '--quick'], post: [], timeoutMs: 60_000 } },
    guestAgents: { 'web-1': '/var/run/xen/qga-web-1.sock' },
    source: { file, line: 1, col: 1 },
  });
});

test('defaults: an empty or comment-only file, and a missing file that need not exist', async () => {
  const expected = { ...defaultHostConfig(), source: { file: '/x/c.yaml', line: 1, col: 1 } };
  const fields = ({ config, diagnostics }: ReturnType<typeof parseHostConfigText>) => ({ config, diagnostics });
  assert.deepEqual(fields(parseHostConfigText('', '/x/c.yaml')), { config: expected, diagnostics: [] });
  assert.deepEqual(fields(parseHostConfigText('# all commented out\n# stateDir: /srv\n', '/x/c.yaml')), { config: expected, diagnostics: [] });
  const missing = await loadHostConfig('/nonexistent/xensnap/config.yaml', { mustExist: false });
  assert.deepEqual(missing, { config: defaultHostConfig(), diagnostics: [] });
  assert.equal(missing.config.source, null);
  assert.equal(missing.config.stateDir, '/var/lib/xen/snapshots');
  assert.equal(missing.config.policyDir, '/etc/xensnap/policies');
  assert.equal(missing.config.resyncIntervalMs, 15 * 60_000);
});

test('a missing file that must exist is a diagnostic (the default)', async () => {
  const r = await loadHostConfig('/nonexistent/xensnap/config.yaml');
  assert.deepEqual(r.diagnostics, [
    { file: '/nonexistent/xensnap/config.yaml', line: 1, col: 1, path: '', message: 'cannot read: no such file or directory' },
  ]);
});

test('qemu hypervisor, relative inventory, hook program and guest agent socket', () => {
  const text = [
    'hypervisor: qemu',
    'qemu: { inventory: lab/qemu-domains.yaml }',
    'stateDir: state',
    'hooks:',
    '  db_freeze: { pre: [./hooks/freeze, -x], timeout: 5m }',
    'guestAgents: { web-3: run/qga.sock }',
    'limits: { maxDeletes: 0, minFreeBytes: 1073741824 }',
    'resyncInterval: 1h',
    '',
  ].join('\n');
  const r = parseHostConfigText(text, '/etc/xs/config.yaml');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config.hypervisor, 'qemu');
  assert.equal(r.config.qemu.inventory, '/etc/xs/lab/qemu-domains.yaml');
  assert.equal(r.config.stateDir, '/etc/xs/state');
  assert.deepEqual(r.config.hooks, { db_freeze: { pre: ['/etc/xs/hooks/freeze', '-x'], post: [], timeoutMs: 300_000 } });
  assert.deepEqual(r.config.guestAgents, { 'web-3': '/etc/xs/run/qga.sock' });
  assert.deepEqual(r.config.limits, { maxDeletes: 0, concurrency: 2, minFreePercent: 10, minFreeBytes: 1073741824, maxChainDepth: 30 });
  assert.equal(r.config.resyncIntervalMs, 3_600_000);
});

const BAD: Array<[string, string, string[]]> = [
  ['unknown key at the top', 'stateDir: /srv\nstatedir: /srv\n', ['2:1: unknown key "statedir"; did you mean "stateDir"?']],
  ['unknown key in xen', 'xen: { configDir: /etc/xen, cfgDir: x }\n', ['1:29: unknown key "cfgDir" in xen (allowed: configDir, runDir, libDir)']],
  ['unknown key in limits', 'limits:\n  maxDelete: 5\n', ['2:3: unknown key "maxDelete" in limits (allowed: maxDeletes, concurrency, minFreePercent, minFreeBytes, maxChainDepth)']],
  ['unknown key in a hook profile', 'hooks:\n  a: { pre: [/bin/true], shell: "x" }\n', ['2:26: unknown key "shell" in hooks.a (allowed: pre, post, timeout)']],
  ['unknown hypervisor', 'hypervisor: kvm\n', ['1:13: hypervisor must be one of: xen, qemu (got "kvm")']],
  ['qemu without inventory', 'hypervisor: qemu\n', ['1:13: hypervisor qemu needs qemu.inventory (the file listing the QEMU domains)']],
  ['concurrency 0', 'limits: { concurrency: 0 }\n', ['1:24: limits.concurrency must be at least 1 (got 0)']],
  ['negative maxDeletes', 'limits: { maxDeletes: -1 }\n', ['1:23: limits.maxDeletes must be at least 0 (got -1)']],
  ['fractional maxDeletes', 'limits: { maxDeletes: 1.5 }\n', ['1:23: limits.maxDeletes must be a whole number (got 1.5)']],
  ['stateDir empty', 'stateDir: ""\n', ['1:11: stateDir must not be empty']],
  ['stateDir a list', 'stateDir: [a]\n', ['1:11: stateDir must be a string (got a list)']],
  ['resyncInterval 2x', 'resyncInterval: 2x\n', ['1:17: resyncInterval must be a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d) (got "2x")']],
  ['resyncInterval 0s', 'resyncInterval: 0s\n', ['1:17: resyncInterval "0s" is out of range (1s to 3650d)']],
  ['hook timeout 2d', 'hooks:\n  a: { pre: [/bin/true], timeout: 2d }\n', ['2:35: hooks.a.timeout "2d" is out of range (1s to 1d)']],
  ['listen without port', 'listen: localhost\n', ['1:9: listen must be a string matching /^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/ (got "localhost")']],
  ['listen port 70000', 'listen: 127.0.0.1:70000\n', ['1:9: listen port 70000 is out of range (1 to 65535)']],
  ['hook command a bare name', 'hooks:\n  a: { pre: [flush-db] }\n', ['2:14: hooks.a.pre[0] "flush-db" must be a path to the program (like /usr/local/sbin/flush-db), not a name looked up in PATH']],
  ['hook command a string', 'hooks:\n  a: { pre: "/bin/flush --all" }\n', ['2:13: hooks.a.pre must be a list (got "/bin/flush --all")']],
  ['hook profile name with a space', 'hooks:\n  "flush db": { pre: [/bin/true] }\n', ['2:3: invalid name "flush db" in hooks: must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit']],
  ['guest agent socket a number', 'guestAgents: { web-1: 5 }\n', ['1:23: guestAgents.web-1 must be a string (got 5)']],
  ['two documents', 'stateDir: /a\n---\nstateDir: /b\n', ['3:1: the host config is one YAML document; found more']],
  ['config is a list', '- stateDir: /a\n', ['1:1: document must be a mapping (got a list)']],
  ['tab indentation', 'xen:\n\tconfigDir: /etc/xen\n', ['2:1: YAML: tab character used for indentation (use spaces)']],
  ['duplicate key', 'stateDir: /a\nstateDir: /b\n', ['2:1: YAML: duplicate key "stateDir"']],
];

for (const [name, text, expect] of BAD) {
  test(`bad host config: ${name}`, () => {
    const r = parseHostConfigText(text, 'c.yaml');
    assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), expect);
    assert.deepEqual(r.config, defaultHostConfig());
  });
}

test('a 50 MiB host config is refused by size without reading it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 'config.yaml');
  await writeFile(f, '');
  await truncate(f, 50 * 1024 * 1024);
  const r = await loadHostConfig(f);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`), [
    '1:1: file is too large (52428800 bytes); the limit is 1048576 bytes (1 MiB)',
  ]);
});
