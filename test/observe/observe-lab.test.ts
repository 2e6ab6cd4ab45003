import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useLab } from '../util/lab-fixture.js';
import { loadHostConfig } from '../../src/config/load-host-config.js';
import { observeHost } from '../../src/cli/host-context.js';
import { writeRecord } from '../../src/state/index.js';
import type { SnapshotRecord } from '../../src/model/snapshot.js';
import { main } from '../../src/cli/main.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

const fx = useLab('xensnap-lab-');

async function qemuConfig() {
  const { config, diagnostics } = await loadHostConfig(fx.lab.qemuConfig);
  assert.deepEqual(diagnostics, []);
  return config;
}

test('the running lab domain is observed over its real QMP socket, the shut-off one from its files', async () => {
  const { observed } = await observeHost(await qemuConfig());
  assert.deepEqual(observed.domains.map((d) => [d.domain.name, d.domain.state, d.disks.map((x) => x.chain.length)]), [
    ['db-1', 'shutoff', [2, 1]],
    ['web-3', 'running', [1, 1]],
  ]);
  const web3 = observed.domains[1]!.disks[0]!;
  assert.deepEqual(web3.internal.map((s) => [s.id, s.name, s.vmStateSize]), [['1', 'golden', 0]]);
  assert.deepEqual(observed.snapshots.map((s) => [s.name, s.managed, s.type]), [
    ['base-template', false, 'external'],
    ['golden', false, 'internal'],
  ]);
  // the foreign snapshots above are no findings; the host has nothing to act on
  assert.deepEqual(observed.findings.map((f) => `${f.kind} ${f.domain?.name}: ${f.message}`).sort(), []);
  assert.deepEqual(observed.skipped, []);
  assert.deepEqual(observed.guestAgents, {});
});

test('a record claims its tag (managed), and a record whose tag is gone is drift', async () => {
  const config = await qemuConfig();
  const { domains } = await observeHost(config, ['web-3']);
  const web3 = domains[0]!;
  const base: SnapshotRecord = {
    formatVersion: 1, name: 'golden', description: 'claimed', domain: { uuid: web3.uuid, name: 'web-3' },
    createdAt: '2026-11-26T04:00:00.000Z', slot: null, policy: null, policyRevision: null, deletionPolicy: 'Retain',
    managedBy: 'xensnap', mode: 'disk-only', type: 'internal', domainState: 'running', memoryFile: null, pinned: true,
    disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'golden' }],
  };
  await writeRecord(config.stateDir, base, web3.key);
  await writeRecord(config.stateDir, { ...base, name: 'vanished', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'vanished' }] }, web3.key);
  const { observed } = await observeHost(config, ['web-3']);
  assert.deepEqual(observed.snapshots.map((s) => [s.name, s.managed, s.record?.pinned]), [
    ['golden', true, true],
    ['vanished', true, true],
  ]);
  assert.deepEqual(observed.findings.map((f) => f.message), [
    `snapshot "vanished": internal snapshot "vanished" is missing from the images of xvda (${fx.lab.dir}/images/web-3-xvda.qcow2)`,
  ]);
  const out = capture();
  const code = await main(['--config', fx.lab.qemuConfig, 'list', 'web-3'], { stdout: out.stream, stderr: capture().stream, env: {} });
  assert.equal(code, 0);
  assert.equal(out.text(), [
    'DOMAIN  NAME      CREATED               ORIGIN           MODE       TYPE      STATE    DISKS',
    'web-3   golden    2026-11-26T04:00:00Z  manual (pinned)  disk-only  internal  running  xvda',
    'web-3   vanished  2026-11-26T04:00:00Z  manual (pinned)  disk-only  internal  running  xvda',
    `! web-3: snapshot "vanished": internal snapshot "vanished" is missing from the images of xvda (${fx.lab.dir}/images/web-3-xvda.qcow2)`,
    '',
  ].join('\n'));
});

test('the xen lab: xl.cfg domains (qcow2 on qdisk, VHD on tap) through the xl stand-in', async () => {
  const env = { ...process.env, PATH: `${join(repo, 'test/stubs')}:${process.env.PATH}`, XENSNAP_XL_STATE: fx.lab.xlState };
  const out = capture();
  const err = capture();
  const saved = process.env.PATH;
  process.env.PATH = env.PATH;
  process.env.XENSNAP_XL_STATE = fx.lab.xlState;
  try {
    const code = await main(['--config', fx.lab.xenConfig, 'list', '--tree'], { stdout: out.stream, stderr: err.stream, env });
    assert.equal(err.text(), '');
    assert.equal(code, 0);
  } finally {
    process.env.PATH = saved;
    delete process.env.XENSNAP_XL_STATE;
  }
  const img = `${fx.lab.dir}/images`;
  assert.equal(out.text(), [
    'app-1 (shutoff)',
    `  xvda: ${img}/app-1-xvda.qcow2 (depth 1)`,
    `    ${img}/app-1-xvda.qcow2 qcow2 leaf`,
    `  xvdb: ${img}/app-1-xvdb.qcow2 (depth 1)`,
    `    ${img}/app-1-xvdb.qcow2 qcow2 leaf`,
    'legacy-1 (shutoff)',
    `  xvda: ${img}/legacy-1-xvda.vhd (depth 1)`,
    `    ${img}/legacy-1-xvda.vhd vhd leaf`,
    `(side branches and images shared with other disks were looked for in ${img})`,
    '',
  ].join('\n'));
  assert.ok((await readFile(fx.lab.xlState, 'utf8')).includes('"domains"'));
});
