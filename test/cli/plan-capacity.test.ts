// `xensnap plan --observed FILE` with an observation that measured free space and chain depth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Observed } from '../../src/model/observed.js';

const MiB = 1048576;

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

const POLICY = (name: string, type: string) => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: ${name}
spec:
  selector:
    names: ["${name === 'web' ? 'web' : 'db'}"]
  schedule: "0 * * * *"
  timezone: UTC
  mode: disk-only
  type: ${type}
  retention:
    keepLast: 3
`;

const member = (path: string, backing: string | null, fs: string) => ({ path, format: 'qcow2', virtualSize: 20 * 1024 ** 3, allocatedBytes: 4 * MiB, backing, fs });
const dom = (name: string) => ({ key: `name-${name}`, uuid: null, name, state: 'shutoff' as const, disks: [{ vdev: 'xvda', path: `/srv/${name}/xvda.qcow2`, format: 'qcow2', backend: 'qdisk' as const, readonly: false, cdrom: false }] });

/** web on a nearly full filesystem, db on a roomy one whose chain is at a depth limit of 2. */
const OBSERVED: Observed = {
  formatVersion: 1,
  domains: [
    { domain: dom('db'), disks: [{ vdev: 'xvda', leaf: '/srv/db/xvda.qcow2', chain: [member('/srv/db/xvda.qcow2', '/srv/db/base.qcow2', '8:2'), member('/srv/db/base.qcow2', null, '8:2')], internal: [] }] },
    { domain: dom('web'), disks: [{ vdev: 'xvda', leaf: '/srv/web/xvda.qcow2', chain: [member('/srv/web/xvda.qcow2', null, '0:40')], internal: [] }] },
  ],
  snapshots: [],
  findings: [],
  filesystems: [
    { id: '0:40', mount: '/srv/web pool', freeBytes: 110 * MiB, totalBytes: 1000 * MiB, paths: ['/srv/web/xvda.qcow2'] },
    { id: '8:2', mount: '/srv/db', freeBytes: 500 * MiB, totalBytes: 1000 * MiB, paths: ['/srv/db/base.qcow2', '/srv/db/xvda.qcow2'] },
  ],
  stateDir: { path: '/var/lib/xensnap', fs: '8:2' },
  limits: { minFreePercent: 10, minFreeBytes: 0, maxChainDepth: 2 },
};

test('plan --observed: capacity findings, estimates and the storage view', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-plancap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pol = join(dir, 'policies');
  await mkdir(pol);
  await writeFile(join(pol, 'web.yaml'), POLICY('web', 'internal'));
  await writeFile(join(pol, 'db.yaml'), POLICY('db', 'external'));
  await writeFile(join(dir, 'observed.json'), JSON.stringify(OBSERVED));
  await writeFile(join(dir, 'config.yaml'), `stateDir: ${dir}/state\npolicyDir: ${pol}\n`);
  const run = async (...args: string[]) => {
    const o = capture();
    const e = capture();
    const code = await main(['--config', join(dir, 'config.yaml'), 'plan', '--at', '2026-01-01T12:00:00Z', '--observed', join(dir, 'observed.json'), '--policies', pol, ...args], { stdout: o.stream, stderr: e.stream, env: {} });
    return { code, out: o.text(), err: e.text() };
  };
  const json = await run('--json');
  assert.deepEqual([json.code, json.err], [0, '']);
  const p = JSON.parse(json.out);
  // web: internal snapshot of a 20 GiB disk = L1 (320 bytes → one 64 KiB cluster) + 2 clusters;
  // 110 MiB free − 192 KiB stays above 10% of 1000 MiB, so it is planned
  assert.deepEqual(p.actions.map((a: { domain: { name: string }; action: string; estimate?: unknown }) => [a.domain.name, a.action, a.estimate]), [['web', 'create', { bytes: 196608 }]]);
  assert.deepEqual(p.findings, [
    { kind: 'capacity', domain: { uuid: null, name: 'db' }, message: 'policy db: snapshot db-20260101T120000Z is not created: disk xvda has a chain 2 images deep and limits.maxChainDepth is 2; another external snapshot would make it 3' },
  ]);
  assert.deepEqual(p.capacity, {
    filesystems: [
      { id: '0:40', mount: '/srv/web pool', freeBytes: 110 * MiB, totalBytes: 1000 * MiB, limitBytes: 100 * MiB, createBytes: 196608, freesBytes: 0 },
      { id: '8:2', mount: '/srv/db', freeBytes: 500 * MiB, totalBytes: 1000 * MiB, limitBytes: 100 * MiB, createBytes: 0, freesBytes: 0 },
    ],
    held: [{ domain: { key: 'name-db', uuid: null, name: 'db' }, policy: 'db', snapshot: 'db-20260101T120000Z', reason: 'chain-depth', vdev: 'xvda' }],
  });
  const long = await run('--long');
  assert.equal(long.code, 0);
  assert.equal(
    long.out,
    [
      'db:',
      '  ! capacity: policy db: snapshot db-20260101T120000Z is not created: disk xvda has a chain 2 images deep and limits.maxChainDepth is 2; another external snapshot would make it 3',
      '',
      'web:',
      '  + web-20260101T120000Z [web; disk-only; internal; xvda; needs ~192.0 KiB]: due: slot 2026-01-01T12:00:00Z has no snapshot',
      '',
      'storage:',
      '  /srv/web pool: 110.0 MiB free of 1000.0 MiB, keeps 100.0 MiB; creates need ~192.0 KiB, deletes free ~0 B',
      '  /srv/db: 500.0 MiB free of 1000.0 MiB, keeps 100.0 MiB; creates need ~0 B, deletes free ~0 B',
      '',
      'Plan: 1 to create, 0 to delete, 1 finding.',
      '',
    ].join('\n'),
  );
});
