// Stuck work, visible and clearable: a revert killed half-way whose domain was then started by
// hand cannot be recovered; apply, run, status and recover say so (reason, journal), count it,
// and exit accordingly; recover finishes it once the domain is shut off; --discard drops one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { qemuRevertWorld, worldDir, type RevertWorld } from '../crash/revert-world.js';
import { assertEndState, prepareCell } from '../crash/revert-matrix.js';

async function stuck(w: RevertWorld): Promise<string> {
  const k = await w.spawnCli(['revert', 'vm-1', 'e1', '--yes'], { XENSNAP_TEST_CRASH_AT: 'effect:revert.switch-disk:xvda' });
  assert.equal(k.signal, 'SIGKILL', k.out + k.err);
  await w.start(); // the operator starts the domain before any recovery ran
  const [name] = await readdir(join(w.state, '.journal'));
  return join(w.state, '.journal', name!);
}

test('a revert that cannot be recovered: apply, apply --json, run --once, status, recover report it; recover finishes it once the domain is off; --discard drops one', async (t) => {
  const w = await qemuRevertWorld(await worldDir('xensnap-stuck-'));
  t.after(() => w.close());
  await w.write(1);
  assert.equal((await w.cli('create', 'vm-1', '-n', 'e1')).code, 0);
  await w.write(2);
  const cell = await prepareCell('stuck', w, { target: 'e1', args: [], withMemory: false, running: false });
  await w.reset();
  const journal = await stuck(w);
  const reason = 'domain vm-1 is running, but its interrupted revert had begun changing the disks; it is rolled back once the domain is shut off';
  const line = `! vm-1: skipped: interrupted work not recovered (revert of e1): ${reason}; journal ${journal}; see xensnap recover vm-1`;

  const a = await w.cli('apply', '--yes');
  assert.equal(a.code, 1);
  assert.ok(a.out.endsWith(`${line}\nNo changes; 1 domain skipped (unresolved work).\n`), a.out);
  const j = await w.cli('apply', '--yes', '--json');
  assert.equal(j.code, 1);
  const skipped = { domain: 'vm-1', key: '6c2f0a7e-4b1d-4e8a-9f3c-2d5e6f7a8b9c', operation: 'revert of e1', reason, journal };
  assert.deepEqual(JSON.parse(j.out), { formatVersion: 1, recovered: [], skippedDomains: [skipped], results: [], summary: { succeeded: 0, failed: 0, skipped: 0, domainsSkipped: 1 } });
  const created = await w.cli('create', 'vm-1', '-n', 'c1');
  assert.equal(created.code, 1);
  assert.equal(created.err, `create: domain vm-1 has interrupted work not recovered (revert of e1): ${reason}; journal ${journal}; nothing was changed\n`);

  const run = await w.spawnCli(['run', '--once']); // a child: run ends its process on failure
  assert.equal(run.code, 1);
  const logged = run.err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'domain skipped: interrupted work not recovered');
  assert.deepEqual(logged && [logged.level, logged.domain, logged.operation, logged.reason, logged.journal], ['warn', 'vm-1', 'revert of e1', reason, journal]);
  const st = await w.cli('status', '--json');
  const status = JSON.parse(st.out) as { lastRun: { result: string; skippedDomains: unknown[] } };
  assert.deepEqual([status.lastRun.result, status.lastRun.skippedDomains], ['failed', [skipped]]);
  const text = await w.cli('status');
  assert.match(text.out, /; 1 domain skipped \(unresolved work\)\n/);
  assert.ok(text.out.includes(`\n  vm-1: skipped: interrupted work not recovered (revert of e1): ${reason}; journal ${journal}; see xensnap recover vm-1\n`), text.out);

  const dry = await w.cli('recover', '--dry-run');
  assert.equal(dry.code, 1);
  const [head, steps, intent] = dry.out.split('\n');
  assert.match(head!, new RegExp(`^journal ${journal}: revert of e1 on vm-1, started \\d{4}-\\d\\d-\\d\\dT`));
  assert.match(steps!, /^ {2}steps: revert\.build-leaf:xvda done, revert\.build-leaf:xvdb done, revert\.pre-revert done, .*, record\.write done, revert\.switch-disk:xvda in flight$/);
  assert.equal(intent, "  recovery: roll the revert back: vm-1's disks as before, no pre-revert snapshot");
  const busy = await w.cli('recover', 'vm-1');
  assert.equal(busy.code, 1);
  assert.ok(busy.out.endsWith(`unresolved: revert of e1 on vm-1: ${reason}; journal ${journal}\n`), busy.out);
  await w.stop();
  const done = await w.cli('recover', 'vm-1');
  assert.equal(done.code, 0, done.out);
  const pre = (v: string) => join(w.images, `vm-1-${v}@pre-revert-`);
  assert.match(done.out, new RegExp(`\nrecovered: revert of e1 on vm-1: rolled back: vm-1 is as before the revert: its disks are as they were and no pre-revert snapshot was kept; vm-1 is shut off \\(xvdb: ${pre('xvdb')}\\d{8}T\\d{6}Z\\.qcow2 is back at ${w.disks[1]!.path}; xvda: ${pre('xvda')}\\d{8}T\\d{6}Z\\.qcow2 is back at ${w.disks[0]!.path}\\)\n$`));
  await assertEndState(cell, 'as-before', 'shutoff', 'after recover');
  assert.equal((await w.cli('recover')).out, 'no interrupted work\n');

  await w.reset();
  const second = await stuck(w);
  const refused = await w.cli('recover', '--discard', second);
  assert.equal(refused.code, 1);
  assert.equal(refused.err, 'refusing to change anything without a terminal to confirm on: pass --yes\n');
  const gone = await w.cli('recover', '--discard', second.slice(second.lastIndexOf('/') + 1, -'.jsonl'.length), '--yes');
  assert.equal(gone.code, 0, gone.err);
  const preImages = (await readdir(w.images)).filter((f) => f.includes('@pre-revert-')).map((f) => join(w.images, f));
  assert.equal(preImages.length, 2);
  assert.ok(gone.out.startsWith(`journal ${second}: revert of e1 on vm-1\n  steps: revert.build-leaf:xvda done,`), gone.out);
  for (const p of [...preImages, ...w.disks.map((d) => d.path), join(w.images, 'vm-1-xvda@e1.qcow2')]) assert.ok(gone.out.includes(`\n    ${p}\n`), `${p} listed: ${gone.out}`);
  assert.ok(gone.out.endsWith(`discarded journal ${second}; vm-1 is no longer skipped\n`), gone.out);
  const after = await w.cli('apply', '--yes');
  assert.equal(after.code, 0, after.out);
});
