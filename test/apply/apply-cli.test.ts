// `xensnap apply` as a user runs it: real processes, a xen world (xl stand-in, real images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, MAIN, slot, xenWorld, type World } from '../crash/crash-world.js';

async function setup(hooks: string, policyHooks: string | null): Promise<World> {
  const w = await xenWorld(await mkdtemp(join(tmpdir(), 'xensnap-apply-')));
  const cfg = await readFile(w.config, 'utf8');
  await writeFile(w.config, cfg + hooks);
  await writeFile(
    join(w.dir, 'policies', 'p.yaml'),
    `apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata:\n  name: hp\nspec:\n  selector:\n    names: ["app-1"]\n  schedule: "0 * * * *"\n  mode: disk-only\n  type: external\n${policyHooks ? `  hooks: ${policyHooks}\n` : ''}  retention:\n    keepLast: 1\n`,
  );
  return w;
}

const records = async (w: World) => {
  const out: string[] = [];
  for (const d of await readdir(w.state, { withFileTypes: true })) if (d.isDirectory() && !d.name.startsWith('.')) out.push(...(await readdir(join(w.state, d.name))));
  return out.sort();
};

test('a second apply while one runs exits 1 naming the holder; the first finishes', async (t) => {
  // The first apply's pre hook holds it (and the lock) until the test lets it go: no sleep to outlast.
  const gate = await mkdtemp(join(tmpdir(), 'xensnap-apply-gate-'));
  const release = join(gate, 'release');
  t.after(async () => {
    await writeFile(release, ''); // never leave a hook waiting when an assertion fails
    await rm(gate, { recursive: true, force: true });
  });
  const hold = [process.execPath, '-e', "const t = setInterval(() => require('fs').existsSync(process.argv[1]) && clearInterval(t), 20)", release];
  const w = await setup(`hooks:\n  slow:\n    pre: ${JSON.stringify(hold)}\n    timeout: 30s\n`, 'slow');
  t.after(() => w.close());
  const at = slot('hp', 1).at;
  const first = spawn(process.execPath, [MAIN, '--config', w.config, 'apply', '--yes', '--at', at], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out1 = '';
  first.stdout.setEncoding('utf8').on('data', (s: string) => (out1 += s));
  const done = new Promise<number | null>((res) => first.on('exit', (c) => res(c)));
  for (const end = Date.now() + 60_000; !(await access(join(w.state, '.lock')).then(() => true, () => false)); await sleep(10)) {
    if (Date.now() > end) assert.fail('the first apply never took the lock');
  }
  const second = await cli(w, ['apply', '--yes', '--at', at]);
  await writeFile(release, '');
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`another xensnap \\(pid ${first.pid}\\) holds the lock ${join(w.state, '.lock')}`));
  assert.equal(await done, 0, out1);
  assert.match(out1, /\+ app-1 hp-20260101T010000Z: ok/);
  assert.deepEqual(await records(w), ['snapshotdata-hp-20260101T010000Z.json']);
});

test('hooks: env names the snapshot; a failing pre hook skips the create and the domain deletes; a failing post hook is reported', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-hook-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'hook.mjs');
  // writes its environment, then exits with the code its mode file holds (stderr says so)
  await writeFile(script, `import fs from 'node:fs';
const e = process.env; const phase = e.XENSNAP_PHASE;
fs.appendFileSync(${JSON.stringify(join(dir, 'env.log'))}, JSON.stringify([e.XENSNAP_DOMAIN, e.XENSNAP_DOMAIN_UUID, e.XENSNAP_SNAPSHOT, e.XENSNAP_POLICY, phase, e.XENSNAP_ACTION]) + '\\n');
const code = Number(fs.readFileSync(${JSON.stringify(join(dir, 'mode-'))} + phase, 'utf8'));
if (code) { process.stderr.write(phase + ' broke'); process.exit(code); }
`);
  await writeFile(join(dir, 'mode-pre'), '0');
  await writeFile(join(dir, 'mode-post'), '3');
  const w = await setup(`hooks:\n  q:\n    pre: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]\n    post: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]\n`, 'q');
  t.after(() => w.close());
  const s1 = slot('hp', 1);
  const r1 = await cli(w, ['apply', '--yes', '--json', '--at', s1.at]);
  assert.equal(r1.code, 0, r1.stderr);
  const j1 = JSON.parse(r1.stdout) as { results: { status: string; message: string | null }[] };
  assert.equal(j1.results.length, 1);
  assert.equal(j1.results[0]!.status, 'ok');
  assert.equal(j1.results[0]!.message, `post-snapshot hook q ${JSON.stringify([process.execPath, script])} failed: exit code 3; stderr: post broke`);
  const env = (await readFile(join(dir, 'env.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as string[]);
  assert.deepEqual(env, [
    ['app-1', '11111111-2222-4333-8444-555555555513', s1.snapshot, 'hp', 'pre', 'create'],
    ['app-1', '11111111-2222-4333-8444-555555555513', s1.snapshot, 'hp', 'post', 'create'],
  ]);
  await writeFile(join(dir, 'mode-pre'), '4');
  const s2 = slot('hp', 2);
  const r2 = await cli(w, ['apply', '--yes', '--at', s2.at]);
  assert.equal(r2.code, 1);
  assert.match(r2.stdout, new RegExp(`- app-1 ${s1.snapshot}: skipped: a create of this domain failed in this run\\n\\+ app-1 ${s2.snapshot}: skipped: pre-snapshot hook q .* failed: exit code 4; stderr: pre broke\\nApply: 0 succeeded, 0 failed, 2 skipped\\.\\n`));
  assert.deepEqual(await records(w), [`snapshotdata-${s1.snapshot}.json`]);
  assert.deepEqual((await readdir(w.images)).filter((f) => f.includes('@')).sort(), [`app-1-xvda@${s1.snapshot}.qcow2`, `app-1-xvdb@${s1.snapshot}.qcow2`]);
});

test('a stale saved plan is refused; without a terminal apply needs --yes; --max-deletes holds deletes back', async (t) => {
  const w = await setup('', null);
  t.after(() => w.close());
  const s1 = slot('hp', 1);
  const planFile = join(w.dir, 'plan.json');
  assert.equal((await cli(w, ['plan', '--at', s1.at, '-o', planFile])).code, 0);
  const noYes = await cli(w, ['apply', '--at', s1.at]);
  assert.equal(noYes.code, 1);
  assert.match(noYes.stderr, /refusing to change anything without a terminal to confirm on: pass --yes/);
  assert.deepEqual(await records(w), []);
  assert.equal((await cli(w, ['apply', '--yes', '--at', s1.at])).code, 0);
  const stale = await cli(w, ['apply', '--yes', planFile]);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /plan is stale: /);
  const s2 = slot('hp', 2);
  const held = await cli(w, ['apply', '--yes', '--max-deletes', '0', '--at', s2.at]);
  assert.equal(held.code, 0, held.stdout + held.stderr);
  assert.deepEqual(await records(w), [`snapshotdata-${s1.snapshot}.json`, `snapshotdata-${s2.snapshot}.json`]);
});
