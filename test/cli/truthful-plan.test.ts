// Issue 17, items 2, 3 and 8 through the CLI, on a qemu-driver host of shut-off domains (real
// images) and one whose QMP socket hangs: a plan never promises what apply will not do;
// skipped domains keep their names; a policy that stops selecting a domain says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cli, treeState } from './one-off-helpers.js';
import { writeRecord } from '../../src/state/index.js';
import type { SnapshotRecord } from '../../src/model/snapshot.js';

const exec = promisify(execFile);
const AT = '2026-11-26T05:10:00Z';
const SLOT = '20261126T050000Z';

interface Host {
  dir: string;
  config: string;
  state: string;
  img: (n: string) => string;
  qmp: (n: string) => string;
}

const policy = (names: string[], extra = '') => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: hourly
spec:
  selector:
    names: ${JSON.stringify(names)}
${extra}  schedule: "0 * * * *"
  type: external
  retention:
    keepLast: 5
`;

async function qemuImg(...args: string[]) {
  await exec('qemu-img', args);
}

/** Shut-off domains good-1 (one clean image), and one broken image each for the others. */
async function host(t: { after: (fn: () => Promise<void>) => void }, names: string[]): Promise<Host> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-truthful-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const d of ['images', 'run', 'policies']) await mkdir(join(dir, d));
  await mkdir(join(dir, 'state'), { mode: 0o700 });
  const img = (n: string) => join(dir, 'images', `${n}-xvda.qcow2`);
  const qmp = (n: string) => join(dir, 'run', `${n}.qmp`);
  for (const n of names) await qemuImg('create', '-q', '-f', 'qcow2', img(n), '16M');
  const inv = names.map((n) => `  - name: ${n}\n    qmp: ${qmp(n)}\n    disks:\n      - { vdev: xvda, path: ${img(n)}, format: qcow2 }\n`).join('');
  await writeFile(join(dir, 'inventory.yaml'), `domains:\n${inv}`);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${join(dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nhypervisor: qemu\nqemu: { inventory: ${join(dir, 'inventory.yaml')} }\n`);
  await writeFile(join(dir, 'policies', 'hourly.yaml'), policy(['*']));
  return { dir, config, state: join(dir, 'state'), img, qmp };
}

async function overwrite(file: string, offset: number, bytes: Buffer) {
  const fh = await open(file, 'r+');
  await fh.write(bytes, 0, bytes.length, offset);
  await fh.close();
}

test('2: missing, corrupt and truncated images, and unfinished journals, are findings with no action; apply does exactly the rest', async (t) => {
  const h = await host(t, ['good-1', 'gone-1', 'magic-1', 'v99-1', 'short-1', 'journal-1']);
  await rename(h.img('gone-1'), `${h.img('gone-1')}.away`);
  await overwrite(h.img('magic-1'), 0, Buffer.from('JUNK'));
  const v99 = Buffer.alloc(4);
  v99.writeUInt32BE(99);
  await overwrite(h.img('v99-1'), 4, v99);
  // a truncated image: qemu-img itself still opens it (reads past the end are zeros)
  await exec('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 2M', h.img('short-1')]);
  await truncate(h.img('short-1'), 200_000);
  assert.equal((await exec('qemu-img', ['info', h.img('short-1')])).stdout.includes('virtual size: 16 MiB'), true);
  // a journal of unfinished work on journal-1, as a killed apply leaves it
  await mkdir(join(h.state, '.journal'), { mode: 0o700 });
  const journal = join(h.state, '.journal', 'm0-test.jsonl');
  await writeFile(journal, JSON.stringify({ t: 'begin', v: 2, op: { action: 'create', domainKey: 'name-journal-1', domainName: 'journal-1', snapshot: 'x1', backend: 'qdisk', detail: { type: 'external', mode: 'disk-only', disks: ['xvda'], domainState: 'shutoff', diskPaths: [], seed: {} } }, at: '2026-11-26T05:00:01.000Z' }) + '\n', { mode: 0o600 });

  const r = await cli(h.config, 'plan', '--at', AT, '--detailed-exitcode');
  assert.equal(r.err, '');
  assert.equal(r.code, 2);
  const blocked = (n: string, why: string) => `  ! blocked: policy hourly: disk xvda: ${why}; no snapshot is created`;
  const readErr = (n: string) => blocked(n, `its image ${h.img(n)} could not be read (missing or corrupt: see the finding about it)`);
  assert.equal(r.out, [
    'gone-1:',
    `  ! chain-error: xvda: ${h.img('gone-1')}: missing (leaf)`,
    readErr('gone-1'),
    '',
    'good-1:',
    `  + hourly-${SLOT} [hourly; disk-only; external; xvda]: due: slot 2026-11-26T05:00:00Z has no snapshot`,
    '',
    'journal-1:',
    `  ! skipped: domain journal-1: unfinished create of snapshot x1 (started 2026-11-26T05:00:01.000Z) is in its journal: apply or run recovers it before planning this domain (or an apply is running now) (journal ${journal}); skipped`,
    '',
    'magic-1:',
    `  ! corrupt-image: xvda: ${h.img('magic-1')}: not a qcow2 image (bad magic)`,
    readErr('magic-1'),
    '',
    'short-1:',
    `  ! corrupt-image: xvda: ${h.img('short-1')}: truncated: the L2 table of L1 entry 0 (at offset 262144) ends at byte 327680, past the end of the file (200000 bytes)`,
    readErr('short-1'),
    '',
    'v99-1:',
    `  ! corrupt-image: xvda: ${h.img('v99-1')}: unsupported qcow2 version 99`,
    readErr('v99-1'),
    '',
    'Plan: 1 to create, 0 to delete, 9 findings.',
    '',
  ].join('\n'));
  // nothing but blocked domains in scope: nothing pending, so --detailed-exitcode says 0
  const bad = await cli(h.config, 'plan', '--at', AT, '--detailed-exitcode', '--domain', 'magic-1', '--domain', 'journal-1', '--json');
  assert.equal(bad.code, 0, bad.err);
  const badPlan = JSON.parse(bad.out) as { actions: unknown[]; findings: Array<{ kind: string }> };
  assert.deepEqual(badPlan.actions, []);
  assert.deepEqual(badPlan.findings.map((f) => f.kind), ['skipped', 'corrupt-image', 'blocked']);

  // apply does what the plan promised and nothing else; the broken images are untouched
  const before = await treeState(join(h.dir, 'images'));
  delete before['images/good-1-xvda.qcow2'];
  delete before['images/journal-1-xvda.qcow2'];
  // the journal resolved by hand (recovering it is the journal's own business): journal-1 is plannable again
  await rm(journal);
  const a = await cli(h.config, 'apply', '--yes', '--at', AT);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, new RegExp(`\\n\\+ good-1 hourly-${SLOT}: ok \\(\\d+ ms\\)\\n\\+ journal-1 hourly-${SLOT}: ok \\(\\d+ ms\\)\\nApply: 2 succeeded, 0 failed, 0 skipped\\.\\n$`));
  const after = await treeState(join(h.dir, 'images'));
  assert.deepEqual(Object.keys(after).filter((k) => k.includes('@')), [`images/good-1-xvda@hourly-${SLOT}.qcow2`, `images/journal-1-xvda@hourly-${SLOT}.qcow2`]);
  for (const [k, v] of Object.entries(before)) assert.equal(after[k], v, `${k} changed`);
});

test('3: a domain whose QMP socket hangs keeps its name: create, plan --domain and list say why it is skipped, and list shows its snapshots', async (t) => {
  const h = await host(t, ['good-1', 'hang-1']);
  // hang-1 already has a snapshot: frozen image below its leaf, and xensnap's record of it
  const frozen = join(h.dir, 'images', 'hang-1-xvda@m1.qcow2');
  await rename(h.img('hang-1'), frozen);
  await qemuImg('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', frozen, h.img('hang-1'));
  const rec: SnapshotRecord = {
    formatVersion: 1, name: 'm1', description: 'before the upgrade', domain: { uuid: null, name: 'hang-1' }, createdAt: '2026-11-20T10:00:00.000Z', slot: null,
    policy: null, policyRevision: null, deletionPolicy: 'Retain', managedBy: 'xensnap', mode: 'disk-only', type: 'external', domainState: 'running',
    memoryFile: null, pinned: false, disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: frozen }],
  };
  await writeRecord(h.state, rec, 'name-hang-1');
  // a QEMU that accepts the connection and never greets: its state cannot be told
  const server: Server = createServer(() => {});
  await new Promise<void>((res) => server.listen(h.qmp('hang-1'), res));
  t.after(() => new Promise<void>((res) => server.close(() => res())));
  const sock = h.qmp('hang-1');
  const why = `cannot tell whether QEMU at ${sock} runs (QMP connection to ${sock} failed: no greeting within 3000 ms (command: qmp connect ${sock}))`;

  const files = () => treeState(join(h.dir, 'images'), h.state);
  const before = await files();
  assert.deepEqual(await cli(h.config, 'create', 'hang-1', '-n', 'x'), { code: 1, out: '', err: `create: domain hang-1 is skipped: ${why}; nothing was changed\n` });
  assert.deepEqual(await cli(h.config, 'pin', 'hang-1', 'm1'), { code: 1, out: '', err: `pin: domain hang-1 is skipped: ${why}; nothing was changed\n` });
  const p = await cli(h.config, 'plan', '--at', AT, '--domain', 'hang-1', '--detailed-exitcode');
  assert.deepEqual(p, { code: 0, out: `hang-1:\n  ! skipped: domain hang-1: ${why}; skipped\n\nPlan: 0 to create, 0 to delete, 1 finding.\n`, err: '' });
  const l = await cli(h.config, 'list', 'hang-1');
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^DOMAIN +NAME +CREATED +ORIGIN +MODE +TYPE +STATE +DISKS\nhang-1 \(skipped\) +m1 +2026-11-20T10:00:00Z +manual +disk-only +external +running +xvda\n/);
  assert.ok(l.out.endsWith(`! hang-1: domain hang-1: ${why}; skipped\n`), l.out);
  const all = await cli(h.config, 'list', '--json');
  const j = JSON.parse(all.out) as { domains: Array<{ domain: { name: string } }>; skipped: Array<{ name: string; cause: string; key: string; snapshots: Array<{ name: string; managed: boolean }> }> };
  assert.deepEqual(j.domains.map((d) => d.domain.name), ['good-1']);
  assert.deepEqual(j.skipped.map((s) => [s.name, s.cause, s.key, s.snapshots.map((x) => [x.name, x.managed])]), [['hang-1', 'state-unknown', 'name-hang-1', [['m1', true]]]]);
  // a name that is no domain at all is still "no domain named"
  assert.deepEqual(await cli(h.config, 'create', 'nope'), { code: 1, out: '', err: 'create: no domain named "nope" on this host\n' });
  assert.deepEqual(await files(), before);
  // apply plans the rest of the host and names the skipped domain in its plan
  const a = await cli(h.config, 'apply', '--yes', '--at', AT);
  assert.equal(a.code, 0, a.err);
  assert.ok(a.out.includes(`hang-1:\n  ! skipped: domain hang-1: ${why}; skipped\n`), a.out);
  assert.match(a.out, new RegExp(`\\n\\+ good-1 hourly-${SLOT}: ok \\(\\d+ ms\\)\\nApply: 1 succeeded, 0 failed, 0 skipped\\.\\n$`));
});

test('8: a policy whose selector stops matching a domain says so, and its deletionPolicy (now) applies as if it had gone', async (t) => {
  const h = await host(t, ['good-1', 'good-2']);
  const at = (hour: string) => `2026-11-26T${hour}:10:00Z`;
  assert.equal((await cli(h.config, 'apply', '--yes', '--at', at('05'))).code, 0);
  for (const n of ['m1', 'm2']) assert.equal((await cli(h.config, 'create', 'good-1', '-n', n)).code, 0);
  // good-1 is excluded now: its hourly snapshot stays, and the plan says why it will stay for ever
  await writeFile(join(h.dir, 'policies', 'hourly.yaml'), policy(['good-*'], '    exclude: ["good-1"]\n'));
  const r = await cli(h.config, 'plan', '--at', at('05'), '-l');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^good-1:\\n  = m1: kept \\(manual\\)\\n  = m2: kept \\(manual\\)\\n  = hourly-${SLOT}: kept \\(deselected\\)\\n  ! deselected: policy hourly no longer selects this domain: 1 snapshot retained \\(deletionPolicy Retain\\): no policy will ever delete it; \`xensnap delete\` removes them by hand\\n\\n`));
  // deletionPolicy: Delete now (it was Retain when the snapshot was made): the policy's current value counts
  await writeFile(join(h.dir, 'policies', 'hourly.yaml'), policy(['good-*'], '    exclude: ["good-1"]\n  deletionPolicy: Delete\n'));
  const d = await cli(h.config, 'plan', '--at', at('05'));
  const lines = d.out.split('\n');
  assert.equal(lines[0], 'good-1:');
  assert.match(lines[1]!, new RegExp(`^  - hourly-${SLOT} \\[hourly; disk-only; external; xvda; (stream [\\d.]+ KiB into its child \\(rebase\\)|commit [\\d.]+ KiB from its child), chain depth 3 after\\]: policy hourly no longer selects this domain and its deletionPolicy is Delete$`));
  assert.deepEqual(lines.slice(2, 4), ['  ! deselected: policy hourly no longer selects this domain: 1 snapshot deleted (deletionPolicy Delete)', '']);
  const a = await cli(h.config, 'apply', '--yes', '--at', at('05'));
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, new RegExp(`\\n- good-1 hourly-${SLOT}: ok `));
  await assert.rejects(stat(join(h.state, 'name-good-1', `snapshotdata-hourly-${SLOT}.json`)), { code: 'ENOENT' });
  // a domain that is only in another state is still the policy's: nothing of this applies to good-2
  assert.ok(JSON.parse(await readFile(join(h.state, 'name-good-2', `snapshotdata-hourly-${SLOT}.json`), 'utf8')));
});
