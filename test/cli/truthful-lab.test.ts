// Issue 17, items 1, 9, 12 and 14 through the CLI on the lab (a running QEMU web-3, a shut-off
// db-1): snapshots record and show what they really are; a converged host is quiet; DST as
// cronie; the polish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useLab } from '../util/lab-fixture.js';
import { cli, spawnCli, STUBS, treeState } from './one-off-helpers.js';
import { startAgent } from '../guest-agent/standin.js';

const fx = useLab('xensnap-truthful-lab-');
const AT = '2026-11-26T05:10:00Z';

/** A host config over the lab's domains and state, with its own policy dir and extra settings. */
async function hostWith(name: string, policies: Record<string, string>, extra = ''): Promise<string> {
  const dir = join(fx.tmp, name);
  await mkdir(join(dir, 'policies'), { recursive: true });
  for (const [file, text] of Object.entries(policies)) await writeFile(join(dir, 'policies', file), text);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${join(fx.lab.dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nhypervisor: qemu\nqemu: { inventory: ${join(fx.lab.dir, 'qemu-domains.yaml')} }\n${extra}`);
  return config;
}

const policy = (name: string, names: string, spec: string) => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: ${name}
spec:
  selector:
    names: ["${names}"]
  schedule: "0 * * * *"
  type: external
${spec}  retention:
    keepLast: 5
`;

async function record(domainKey: string, snapshot: string) {
  return JSON.parse(await readFile(join(fx.lab.dir, 'state', domainKey, `snapshotdata-${snapshot}.json`), 'utf8')) as Record<string, unknown>;
}

const WEB3 = '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10';
const DB1 = '7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b';

test('12: a converged host is quiet: foreign snapshots are a count, not findings; -l lists them', async () => {
  const a = await cli(fx.lab.qemuConfig, 'apply', '--yes', '--at', AT);
  assert.equal(a.code, 0, a.err);
  assert.deepEqual(await cli(fx.lab.qemuConfig, 'plan', '--at', AT, '--detailed-exitcode'), {
    code: 0,
    out: '2 foreign snapshots, untouched (-l lists them).\nPlan: 0 to create, 0 to delete, 0 findings.\n',
    err: '',
  });
  const long = await cli(fx.lab.qemuConfig, 'plan', '--at', AT, '-l');
  assert.match(long.out, /^db-1 \(7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b\):\n(  = .*\n)*  = base-template: kept \(foreign\)\n/);
  assert.match(long.out, /\n  = golden: kept \(foreign\)\n/);
  assert.match(long.out, /\n2 foreign snapshots, untouched\.\nPlan: 0 to create, 0 to delete, 0 findings\.\n$/);
  const list = await cli(fx.lab.qemuConfig, 'list');
  assert.doesNotMatch(list.out, /^!/m);
  assert.match(list.out, /^db-1 +base-template +\S+ +foreign /m);
});

test('12: a running tap-only Xen domain is listed without QMP noise (it has no qdisk to ask QEMU about)', async () => {
  await writeFile(fx.lab.xlState, JSON.stringify({
    domains: [{ domid: 7, state: '-b----', config: { c_info: { name: 'legacy-1' }, disks: [{ pdev_path: join(fx.lab.dir, 'images', 'legacy-1-xvda.vhd'), vdev: 'xvda', format: 'vhd', backend: 'tap', readwrite: 1 }] } }],
  }));
  try {
    const r = await spawnCli(fx.lab.xenConfig, ['list', 'legacy-1', '--json'], { PATH: `${STUBS}:${process.env.PATH}`, XENSNAP_XL_STATE: fx.lab.xlState });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { domains: Array<{ domain: { state: string } }>; findings: Array<{ message: string }> };
    assert.equal(j.domains[0]!.domain.state, 'running');
    assert.deepEqual(j.findings.filter((f) => /QMP|qmp|block graph/.test(f.message)), []);
  } finally {
    await writeFile(fx.lab.xlState, JSON.stringify({ domains: [] }, null, 2) + '\n');
  }
});

test('1: quiesce: true without a guest agent is made crash-consistent and says so: plan note, apply warning, record, list -l', async () => {
  const config = await hostWith('pref', { 'q.yaml': policy('q-pref', 'web-3', '  quiesce: true\n') });
  const at = '2026-11-26T06:10:00Z';
  const snap = 'q-pref-20261126T060000Z';
  const p = await cli(config, 'plan', '--at', at, '--domain', 'web-3');
  assert.equal(p.out.split('\n').slice(0, 3).join('\n'), [
    `web-3 (${WEB3}):`,
    `  + ${snap} [q-pref; disk-only; external; xvda,xvdb]: due: slot 2026-11-26T06:00:00Z has no snapshot`,
    '      note: will not be quiesced: the host config names no guest agent for it (guestAgents); the snapshot will be crash-consistent',
  ].join('\n'));
  const a = await cli(config, 'apply', '--yes', '--at', at);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, new RegExp(`\\n\\+ web-3 ${snap}: ok \\(\\d+ ms\\)\\n  warning: domain web-3: could not quiesce \\(the host config names no guest agent for it\\); the snapshot is crash-consistent\\nApply: 1 succeeded \\(1 with warnings\\), 0 failed, 0 skipped\\.\\n$`));
  const r = await record(WEB3, snap);
  assert.deepEqual([r.mode, r.quiesced, r.requested], ['disk-only', false, { mode: 'disk-only', quiesce: 'preferred' }]);
  const l = await cli(config, 'list', 'web-3', '-l');
  assert.match(l.out, new RegExp(`web-3 ${snap}\\n(  .*\\n)*  consistency: crash-consistent \\(not quiesced\\); asked: disk-only, quiesce true\\n`));
});

test('1: quiesce: required refuses without an agent (a finding, no action), and with one the snapshot is quiesced and recorded so', async (t) => {
  const pol = { 'q.yaml': policy('q-req', 'web-3', '  quiesce: required\n') };
  const at = '2026-11-26T07:10:00Z';
  const snap = 'q-req-20261126T070000Z';
  const none = await cli(await hostWith('req-none', pol), 'plan', '--at', at, '--domain', 'web-3', '--detailed-exitcode');
  // nothing to do (exit 0), and the reason is a finding; the earlier tests' snapshots are orphans here
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /\n  ! blocked: policy q-req: quiesce is required but the host config names no guest agent for it \(guestAgents\); no snapshot is created\n/);
  assert.doesNotMatch(none.out, /^  \+ /m);
  assert.match(none.out, /\nPlan: 0 to create, 0 to delete, \d+ findings\.\n$/);
  const gone = await cli(await hostWith('req-gone', pol, `guestAgents: { web-3: ${join(fx.tmp, 'no-agent.sock')} }\n`), 'plan', '--at', at, '--domain', 'web-3');
  assert.match(gone.out, new RegExp(`  ! blocked: policy q-req: quiesce is required but its guest agent socket ${join(fx.tmp, 'no-agent.sock')} does not exist; no snapshot is created\\n`));
  const agent = await startAgent(t);
  const withAgent = await hostWith('req-agent', pol, `guestAgents: { web-3: ${agent.socket} }\n`);
  const a = await cli(withAgent, 'apply', '--yes', '--at', at);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, new RegExp(`\\n\\+ web-3 ${snap}: ok \\(\\d+ ms\\)\\nApply: 1 succeeded, 0 failed, 0 skipped\\.\\n$`));
  assert.deepEqual((await agent.commands()).filter((c) => c.startsWith('guest-fsfreeze')), ['guest-fsfreeze-freeze', 'guest-fsfreeze-thaw']);
  const r = await record(WEB3, snap);
  assert.deepEqual([r.quiesced, r.requested], [true, { mode: 'disk-only', quiesce: 'required' }]);
  assert.match((await cli(withAgent, 'list', 'web-3', '-l')).out, new RegExp(`web-3 ${snap}\\n(  .*\\n)*  consistency: quiesced: file systems frozen through the guest agent\\n`));
});

test('1: a live policy on a shut-off domain is made disk-only, said plainly; create --live on it is refused', async () => {
  const config = await hostWith('live', { 'l.yaml': policy('l-db', 'db-1', '  mode: live\n') });
  const at = '2026-11-26T08:10:00Z';
  const snap = 'l-db-20261126T080000Z';
  const p = await cli(config, 'plan', '--at', at, '--domain', 'db-1');
  assert.equal(p.out.split('\n').slice(0, 3).join('\n'), [
    `db-1 (${DB1}):`,
    `  + ${snap} [l-db; disk-only; external; xvda,xvdb]: due: slot 2026-11-26T08:00:00Z has no snapshot`,
    '      note: domain is shut off: the snapshot will be disk-only, without memory (policy l-db asks for live)',
  ].join('\n'));
  const a = await cli(config, 'apply', '--yes', '--at', at);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, new RegExp(`\\n\\+ db-1 ${snap}: ok \\(\\d+ ms\\)\\n  warning: domain db-1 is shut off: a disk-only snapshot was made, without memory, though policy l-db asks for live\\n`));
  const r = await record(DB1, snap);
  assert.deepEqual([r.mode, r.memoryFile, r.quiesced, r.requested], ['disk-only', null, false, { mode: 'live', quiesce: 'off' }]);
  assert.match((await cli(config, 'list', 'db-1', '-l')).out, new RegExp(`db-1 ${snap}\\n(  .*\\n)*  mode:        disk-only\\n  state:       shutoff\\n  consistency: disks at rest \\(taken shut off\\); asked: live\\n`));
  const before = await treeState(join(fx.lab.dir, 'images'), join(fx.lab.dir, 'state'));
  assert.deepEqual(await cli(config, 'create', 'db-1', '--live', '-n', 'l2'), {
    code: 1,
    out: '',
    err: 'create: domain db-1 is shut off, so there is no memory to save: a live snapshot is refused; take a disk-only one (without --live); nothing was changed\n',
  });
  assert.deepEqual(await treeState(join(fx.lab.dir, 'images'), join(fx.lab.dir, 'state')), before);
});

test('1: the daemon logs a weaker snapshot at warn level and keeps it in its status', async () => {
  const config = await hostWith('daemon', { 'q.yaml': policy('q-d', 'web-3', '  quiesce: true\n') });
  const r = await spawnCli(config, ['run', '--once', '--at', '2026-11-26T09:10:00Z']);
  assert.equal(r.code, 0, r.err);
  const warn = r.err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; warnings?: string[] }).find((l) => l.level === 'warn');
  assert.ok(warn, r.err);
  assert.equal(warn.msg, 'action ok with warnings: domain web-3: could not quiesce (the host config names no guest agent for it); the snapshot is crash-consistent');
  const s = await cli(config, 'status');
  assert.match(s.out, /\n  warning: web-3\/q-d-20261126T090000Z: domain web-3: could not quiesce \(the host config names no guest agent for it\); the snapshot is crash-consistent\n/);
  const j = JSON.parse((await cli(config, 'status', '--json')).out) as { lastRun: { warnings: string[] } };
  assert.deepEqual(j.lastRun.warnings, ['web-3/q-d-20261126T090000Z: domain web-3: could not quiesce (the host config names no guest agent for it); the snapshot is crash-consistent']);
});

test('14: polish: whole milliseconds, sizes in IEC units, MB as 10^6 bytes, the revert refusal once', async () => {
  const live = await cli(fx.lab.qemuConfig, 'create', 'web-3', '-n', 'pl1', '--live');
  assert.equal(live.code, 0, live.err);
  assert.match(live.out, /^created snapshot pl1 of web-3 \(live, external, disks xvda, xvdb\); memory \d+\.\d (KiB|MiB|GiB), paused \d+ ms\n$/);
  const l = await cli(fx.lab.qemuConfig, 'list', 'web-3', '-l');
  const sizes = l.out.split('\n').filter((x) => x.startsWith('  size:'));
  assert.ok(sizes.length > 0);
  for (const s of sizes) assert.match(s, /^  size: {8}(\d+ B|\d+\.\d (KiB|MiB|GiB))$/);
  const policyFile = join(fx.tmp, 'growth.yaml');
  await writeFile(policyFile, policy('g', 'x', ''));
  const sim = await cli(fx.lab.qemuConfig, 'simulate', '--policy', policyFile, '--from', '2026-01-01', '--to', '2026-01-02', '--disk-growth', '50MB/h', '--json');
  assert.equal((JSON.parse(sim.out) as { diskGrowthBytesPerHour: number }).diskGrowthBytesPerHour, 50_000_000);
  const rv = await cli(fx.lab.qemuConfig, 'revert', 'web-3', 'pl1', '--yes');
  assert.equal(rv.code, 1);
  assert.doesNotMatch(rv.out, /refused/);
  assert.equal(rv.err, 'revert: domain web-3 is running; a revert discards its current running state, so pass --stop to stop it first; nothing was changed\n');
});

test('9: simulate across the Paris autumn night: an hourly schedule fires in both 02:00s (cronie)', async () => {
  const file = join(fx.tmp, 'paris.yaml');
  await writeFile(file, policy('paris', 'x', '  timezone: Europe/Paris\n'));
  const r = await cli(fx.lab.qemuConfig, 'simulate', '--policy', file, '--from', '2026-10-24T22:00:00Z', '--to', '2026-10-25T03:00:00Z', '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual((JSON.parse(r.out) as { survivors: string[] }).survivors, [
    '2026-10-24T23:00:00Z', '2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z', '2026-10-25T03:00:00Z',
  ]);
  assert.deepEqual(await readdir(join(fx.lab.dir, 'policies')), ['apps.yaml', 'db.yaml', 'web.yaml']);
});
