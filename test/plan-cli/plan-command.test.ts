import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { useLab } from '../util/lab-fixture.js';
import { main } from '../../src/cli/main.js';

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

async function cli(args: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env: {} });
  return { code, stdout: out.text(), stderr: err.text() };
}

const fx = useLab('xensnap-plan-cli-');

const AT = '2026-11-26T05:10:00Z';

/** Free bytes move between two measurements on a shared disk; everything else must be equal. */
function withoutFreeSpace(plan: { capacity?: { filesystems: { freeBytes: number }[] } }) {
  for (const fs of plan.capacity?.filesystems ?? []) fs.freeBytes = 0;
  return plan;
}

test('plan on the lab: one block per domain, creates with reasons, findings, summary; exit 0', async () => {
  const r = await cli(['--config', fx.lab.qemuConfig, 'plan', '--at', AT]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, [
    'db-1 (7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b):',
    '  + apps-nightly-20261126T030000Z [apps-nightly; disk-only; external; xvda,xvdb]: due: slot 2026-11-26T03:00:00Z has no snapshot',
    '  + db-daily-20261126T023000Z [db-daily; disk-only; internal; xvda,xvdb]: due: slot 2026-11-26T02:30:00Z has no snapshot',
    '',
    'web-3 (3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10):',
    '  + web-hourly-20261126T050000Z [web-hourly; disk-only; external; xvda,xvdb]: due: slot 2026-11-26T05:00:00Z has no snapshot',
    '',
    // the foreign base image and tag are counted, not findings: nothing to act on
    '2 foreign snapshots, untouched (-l lists them).',
    'Plan: 3 to create, 0 to delete, 0 findings.',
    '',
  ].join('\n'));
});

test('--detailed-exitcode is 2 with changes pending; --domain narrows; -o saves the JSON plan 0600', async () => {
  const out = join(fx.tmp, 'web3.plan');
  const r = await cli(['--config', fx.lab.qemuConfig, 'plan', '--at', AT, '--domain', 'web-3', '--detailed-exitcode', '-o', out]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^web-3 .*\n  \+ web-hourly-20261126T050000Z /);
  assert.doesNotMatch(r.stdout, /db-1/);
  const saved = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(saved.formatVersion, 1);
  assert.equal(saved.at, '2026-11-26T05:10:00.000Z');
  assert.deepEqual(saved.scope, ['3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10']);
  assert.deepEqual(saved.actions.map((a: { action: string; snapshot: string; disks: string[] }) => [a.action, a.snapshot, a.disks]), [['create', 'web-hourly-20261126T050000Z', ['xvda', 'xvdb']]]);
  assert.equal((await stat(out)).mode & 0o777, 0o600);
  const json = await cli(['--config', fx.lab.qemuConfig, 'plan', '--at', AT, '--domain', 'web-3', '--json']);
  assert.deepEqual(withoutFreeSpace(JSON.parse(json.stdout)), withoutFreeSpace(saved));
});

test('plan --observed plans against an exported observation: the same plan as on the host', async () => {
  const exported = await cli(['--config', fx.lab.qemuConfig, 'list', '--json']);
  assert.equal(exported.code, 0);
  const file = join(fx.tmp, 'host.json');
  await writeFile(file, exported.stdout);
  const onHost = await cli(['--config', fx.lab.qemuConfig, 'plan', '--at', AT, '--json']);
  // no host config needed for a policy repository's CI: only the policies and the export
  const again = await cli(['plan', '--at', AT, '--json', '--observed', file, '--policies', join(fx.lab.dir, 'policies')]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(withoutFreeSpace(JSON.parse(again.stdout)), withoutFreeSpace(JSON.parse(onHost.stdout)));
});

test('bad input: a malformed --at, an unknown domain, a file that is no export', async () => {
  assert.deepEqual(await cli(['--config', fx.lab.qemuConfig, 'plan', '--at', 'yesterday']), {
    code: 1,
    stdout: '',
    stderr: '--at: "yesterday" is not an ISO-8601 time with an offset, e.g. 2026-11-26T04:00:00Z\n',
  });
  assert.deepEqual(await cli(['--config', fx.lab.qemuConfig, 'plan', '--domain', 'nope']), { code: 1, stdout: '', stderr: 'plan: no domain named "nope" on this host\n' });
  const junk = join(fx.tmp, 'junk.json');
  await writeFile(junk, '{"formatVersion": 7}');
  assert.deepEqual(await cli(['plan', '--observed', junk, '--policies', join(fx.lab.dir, 'policies')]), {
    code: 1,
    stdout: '',
    stderr: `${junk}: not an observation export (expected the JSON of \`xensnap list --json\`, formatVersion 1)\n`,
  });
});
