import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserInputError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load-inventory.js';
import type { LiveProbe } from '../../src/inventory/live-probe.js';
import { parseQemuInventory } from '../../src/inventory/parse-qemu-inventory.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { DEFAULT_LIMITS, type HostConfig } from '../../src/model/host-config.js';

const WEB3 = '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10';
const DB1 = '7d2e4f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f';

const INVENTORY = `# standalone QEMU domains
domains:
  - name: web-3
    uuid: ${WEB3.toUpperCase()}
    qmp: /run/xensnap/web-3.qmp
    disks:
      - { vdev: xvda, path: /srv/images/web-3-xvda.qcow2, format: qcow2 }
      - { vdev: xvdb, path: /srv/images/web-3-xvdb.qcow2, format: qcow2, node: data0 }
  - name: db-1
    uuid: ${DB1}
    qmp: /run/xensnap/db-1.qmp
    disks:
      - vdev: xvda
        path: /srv/images/db-1.raw
        format: raw
  - name: app-2
    qmp: /run/xensnap/app-2.qmp
    disks: []
  - name: old-vhd
    qmp: /run/xensnap/old-vhd.qmp
    disks: [{ vdev: xvda, path: /srv/images/old.vhd, format: vhd }]
  - name: flaky
    qmp: /run/xensnap/flaky.qmp
    disks: []
`;

/** A fake probe: answers from a table, records the sockets it was asked about. */
function fakeProbe(answers: Record<string, 'running' | 'paused' | null | Error>): LiveProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async status(socket) {
      asked.push(socket);
      const a = answers[socket];
      if (a instanceof Error) throw a;
      return a ?? null;
    },
  };
}

async function withInventory(t: { after(fn: () => unknown): void }, text: string): Promise<HostConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qinv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'qemu-domains.yaml');
  await writeFile(file, text);
  return {
    stateDir: join(dir, 'state'),
    policyDir: join(dir, 'policies'),
    hypervisor: 'qemu',
    xen: { configDir: '/nonexistent', runDir: '/nonexistent', libDir: '/nonexistent' },
    qemu: { inventory: file },
    limits: DEFAULT_LIMITS,
    resyncIntervalMs: 900_000,
    listen: null,
    hooks: {},
    guestAgents: {},
    source: null,
  };
}

test('qemu inventory: states from the probe, keys, qdisk disks, sorted by name', async (t) => {
  const config = await withInventory(t, INVENTORY);
  const probe = fakeProbe({
    '/run/xensnap/web-3.qmp': 'running',
    '/run/xensnap/db-1.qmp': 'paused',
    '/run/xensnap/flaky.qmp': new Error('QMP greeting timed out'),
  });
  const xl = async () => assert.fail('the qemu driver must not run xl');
  const r = await loadInventory(config, { probe, xl });
  assert.deepEqual(probe.asked.sort(), ['/run/xensnap/app-2.qmp', '/run/xensnap/db-1.qmp', '/run/xensnap/flaky.qmp', '/run/xensnap/old-vhd.qmp', '/run/xensnap/web-3.qmp']);
  assert.deepEqual(r.domains, [
    { key: 'name-app-2', uuid: null, name: 'app-2', state: 'shutoff', qmp: '/run/xensnap/app-2.qmp', disks: [] },
    {
      key: DB1,
      uuid: DB1,
      name: 'db-1',
      state: 'paused',
      qmp: '/run/xensnap/db-1.qmp',
      disks: [{ vdev: 'xvda', path: '/srv/images/db-1.raw', format: 'raw', backend: 'qdisk', readonly: false, cdrom: false }],
    },
    {
      key: 'name-old-vhd',
      uuid: null,
      name: 'old-vhd',
      state: 'shutoff',
      qmp: '/run/xensnap/old-vhd.qmp',
      disks: [{ vdev: 'xvda', path: '/srv/images/old.vhd', format: 'vhd', backend: 'qdisk', readonly: false, cdrom: false }],
    },
    {
      key: WEB3,
      uuid: WEB3,
      name: 'web-3',
      state: 'running',
      qmp: '/run/xensnap/web-3.qmp',
      disks: [
        { vdev: 'xvda', path: '/srv/images/web-3-xvda.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false },
        { vdev: 'xvdb', path: '/srv/images/web-3-xvdb.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false, node: 'data0' },
      ],
    },
  ]);
  assert.deepEqual(r.findings, [
    { kind: 'skipped', domain: { uuid: null, name: 'flaky' }, message: 'domain flaky: cannot tell whether QEMU at /run/xensnap/flaky.qmp runs (QMP greeting timed out); skipped' },
  ]);
});

const bad: [string, string, string[]][] = [
  ['empty file', '', ["F:1:1: the inventory is empty: expected a map with key 'domains'"]],
  ['not a map', '- a\n', ['F:1:1: the inventory must be a map']],
  ['unknown top-level key and missing domains', 'domain: []\n', ["F:1:1: the inventory is missing 'domains'", "F:1:1: unknown key 'domain' in the inventory (allowed: domains)"]],
  ['domains not a list', 'domains: {}\n', ["F:1:10: 'domains' must be a list"]],
  ['YAML syntax error', 'domains:\n  - name: [a\n', ['F:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['duplicate key', 'domains:\n  - name: a\n    name: b\n', ['F:3:5: Map keys must be unique']],
  [
    'missing keys, unknown key',
    'domains:\n  - name: a\n    memory: 5\n',
    ["F:2:5: domain 1 is missing 'disks'", "F:2:5: domain 1 is missing 'qmp'", "F:3:5: unknown key 'memory' in domain 1 (allowed: name, uuid, qmp, disks, launch)"],
  ],
  [
    'launch not a list of strings',
    'domains:\n  - name: a\n    qmp: /r/a.qmp\n    disks: []\n    launch: -m 64\n  - name: b\n    qmp: /r/b.qmp\n    disks: []\n    launch: [-m, { x: 1 }]\n',
    ["F:5:13: 'launch' must be a non-empty list of QEMU arguments", 'F:9:18: a launch argument must be a string'],
  ],
  [
    'bad name, uuid, qmp',
    'domains:\n  - name: ../x\n    uuid: 1234\n    qmp: run/x.qmp\n    disks: []\n',
    ["F:2:11: name '../x' may use letters, digits, '.', '_', '-' (not first)", 'F:3:11: uuid must be a string', "F:4:10: qmp 'run/x.qmp' must be an absolute, normalised file path"],
  ],
  [
    'bad disks',
    'domains:\n  - name: a\n    uuid: nope\n    qmp: /r/a.qmp\n    disks:\n      - { vdev: xvda, path: /i/../a.qcow2, format: qcow2 }\n      - { vdev: xvda, path: /i/b.vmdk, format: vmdk, node: 1x }\n      - { vdev: xvdc, path: /i/c.qcow2, format: qcow2, size: 5 }\n      - just-a-string\n',
    [
      "F:3:11: uuid 'nope' is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
      "F:6:29: path '/i/../a.qcow2' must be an absolute, normalised file path",
      'F:7:17: vdev \'xvda\' is used twice in domain a',
      "F:7:48: format 'vmdk' is not one of qcow2, raw, vhd",
      'F:7:60: node \'1x\' is not a QEMU node name (a letter, then letters, digits, ".", "_", "-"; at most 31)',
      "F:8:56: unknown key 'size' in disk 3 of domain a (allowed: vdev, path, format, node)",
      'F:9:9: disk 4 of domain a must be a map',
    ],
  ],
  [
    'duplicate names, uuids and image paths',
    `domains:\n  - { name: a, uuid: ${WEB3}, qmp: /r/a, disks: [{ vdev: xvda, path: /i/x.qcow2, format: qcow2 }] }\n  - { name: a, uuid: ${WEB3.toUpperCase()}, qmp: /r/b, disks: [{ vdev: xvda, path: /i/x.qcow2, format: qcow2 }] }\n`,
    [
      "F:3:13: name 'a' is already used by domain 1",
      `F:3:22: uuid '${WEB3}' is already used by domain a`,
      "F:3:99: path '/i/x.qcow2' is already used by domain a disk xvda",
    ],
  ],
];
for (const [what, text, expected] of bad) {
  test(`bad qemu inventory: ${what}`, () => {
    assert.deepEqual(parseQemuInventory(text, 'F').diagnostics.map(formatDiagnostic), expected);
  });
}

test('loadInventory rejects an invalid qemu inventory with every diagnostic, and a missing one', async (t) => {
  const config = await withInventory(t, 'domains:\n  - name: a\n');
  const file = config.qemu.inventory!;
  await assert.rejects(loadInventory(config, { probe: fakeProbe({}) }), (e: unknown) => {
    assert.ok(e instanceof UserInputError);
    assert.equal(e.message, `${file}:2:5: domain 1 is missing 'disks'\n${file}:2:5: domain 1 is missing 'qmp'`);
    return true;
  });
  await assert.rejects(loadInventory({ ...config, qemu: { inventory: `${file}.missing` } }, { probe: fakeProbe({}) }), /cannot read the qemu inventory: ENOENT/);
  await assert.rejects(
    loadInventory({ ...config, qemu: { inventory: null }, source: { file: '/etc/xensnap/config.yaml', line: 3, col: 1 } }, { probe: fakeProbe({}) }),
    (e: unknown) => e instanceof UserInputError && e.message === '/etc/xensnap/config.yaml:3:1: hypervisor is qemu but qemu.inventory is not set',
  );
});

test('parseQemuInventory never throws and always points inside the file (seeded)', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
  const parts = ['domains:', '\n', '  - ', 'name: a', 'uuid: x', 'qmp: /q', 'disks:', '[', ']', '{', '}', ', ', 'vdev: xvda', 'path: /p', 'format: raw', '"', "'", ':', '---', '&a', '*a', '!!str', '#', '\t'];
  for (let n = 0; n < 1500; n++) {
    let s = '';
    const len = rnd() % 25;
    for (let i = 0; i < len; i++) s += parts[rnd() % parts.length];
    const lines = s.split('\n').length;
    for (const d of parseQemuInventory(s, 'F').diagnostics) {
      assert.ok(d.file === 'F' && d.line >= 1 && d.line <= lines + 1 && d.col >= 1, JSON.stringify({ s, d }));
    }
  }
});
