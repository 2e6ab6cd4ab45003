import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load-inventory.js';
import type { LiveProbe } from '../../src/inventory/live-probe.js';
import { DEFAULT_LIMITS, type HostConfig } from '../../src/model/host-config.js';
import { FIXTURES } from './paths.js';
import { makeXlWorld } from './xl-world.js';

const PV_UUID = '039e9ee6-4a84-3055-4c81-8ba426ae2656';
const HVM_UUID = '2147d599-9cc6-c0dc-92ab-4064b5446e9b';
const APP_UUID = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
const noProbe: LiveProbe = { status: async () => assert.fail('the xen driver must not probe QMP sockets') };

function hostConfig(dir: string, over: Partial<HostConfig> = {}): HostConfig {
  return {
    stateDir: join(dir, 'state'),
    policyDir: join(dir, 'policies'),
    hypervisor: 'xen',
    xen: { configDir: join(dir, 'xen'), runDir: join(dir, 'run'), libDir: dir },
    qemu: { inventory: null },
    limits: DEFAULT_LIMITS,
    resyncIntervalMs: 900_000,
    listen: null,
    hooks: {},
    guestAgents: {},
    source: null,
    ...over,
  };
}

async function fixtureConfig(name: string) {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8'));
}

/** A host: two fixture domains live (test-pv running, test-hvm paused), a uuid-less live
 * domain, a live domain with no xl.cfg, and a config directory with shut-off and broken files. */
async function xenHost(t: Parameters<typeof makeXlWorld>[0]) {
  const pv = await fixtureConfig('libxl-config-basic-pv.json');
  const hvm = await fixtureConfig('libxl-config-moredevs-hvm.json');
  const w = await makeXlWorld(t, {
    domains: [
      { domid: 0, state: 'r-----', config: { c_info: { name: 'Domain-0', uuid: '00000000-0000-0000-0000-000000000000' } } },
      { domid: 3, state: '-b----', config: pv },
      { domid: 7, state: '--p---', config: hvm },
      {
        domid: 9,
        state: 'r-----',
        config: {
          c_info: { type: 'pvh', name: 'web-2', uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' },
          disks: [
            { pdev_path: '/srv/img/web-2.qcow2', vdev: 'xvda', backend: 'qdisk', format: 'qcow2', readwrite: 1 },
            { pdev_path: '/srv/img/web-2-old.vhd', vdev: 'xvdb', backend: 'qdisk', format: 'vhd' },
          ],
        },
      },
      {
        domid: 11,
        config: {
          c_info: { name: 'ghost', uuid: '11111111-2222-4333-8444-555555555555' },
          disks: [{ pdev_path: '/srv/img/ghost.vhd', vdev: 'xvda', backend: 'tap', format: 'vhd', readwrite: 1 }],
        },
      },
    ],
  });
  const xen = join(w.dir, 'xen');
  await mkdir(join(xen, 'auto'), { recursive: true });
  const files: Record<string, string> = {
    'test-pv.cfg': `name = "test-pv"\nuuid = "${PV_UUID}"\ndisk = [ '/var/lib/xen/images/test-pv.img,raw,xvda,rw' ]\n`,
    'test-hvm.cfg': `type = "hvm"\nname = "test-hvm"\nuuid = "${HVM_UUID.toUpperCase()}"\n`,
    'web-2.cfg': `# no uuid line\nname = 'web-2'\ndisk = [ '/srv/img/web-2.qcow2,qcow2,xvda,rw' ]\n`,
    'app-1.cfg':
      `name = "app-1"; uuid = "${APP_UUID}"\nmemory = 512\n` +
      `disk = [\n  'format=qcow2, vdev=xvda, access=rw, target=/srv/img/app-1-xvda.qcow2',\n  "/srv/img/app-1-xvdb.qcow2,qcow2,xvdb,rw",\n  ',hdc:cdrom,r',\n]\n`,
    'legacy-1.cfg': `name = 'legacy-1'\ndisk = [ 'format=vhd, vdev=xvda, access=rw, backendtype=tap, target=/srv/img/legacy-1.vhd' ]\n`,
    'broken.cfg': `name = "broken-1"\nmemory = 256\ndisk = [ '/srv/img/b.qcow2,qcow2,xvda',\n  oops ]\n`,
    'bad-disk.cfg': `name = "bad-disk"\ndisk = [\n  '/srv/img/x.qcow2,qcow2,xvda,backendtype=phy' ]\n`,
    'bad-name.cfg': `name = "bad name"\n`,
    'twin-a.cfg': `name = "twin"\n`,
    'twin-b.cfg': `name = "twin"\nuuid = "99999999-2222-4333-8444-555555555555"\n`,
    'xl.conf': `autoballoon = "off"\n`,
    'xlexample.hvm': await readFile(join(FIXTURES, 'xlexample.hvm'), 'utf8'),
    '.swap.cfg': `this is not read`,
  };
  for (const [n, text] of Object.entries(files)) await writeFile(join(xen, n), text);
  return { w, config: hostConfig(w.dir) };
}

test('xen inventory through the xl stand-in: running, paused and shut-off domains, keys and findings', async (t) => {
  const { w, config } = await xenHost(t);
  const { domains, findings } = await loadInventory(config, { probe: noProbe, xl: w.xl });
  const xen = config.xen.configDir;
  const run = config.xen.runDir;
  assert.deepEqual(domains, [
    {
      key: APP_UUID,
      uuid: APP_UUID,
      name: 'app-1',
      state: 'shutoff',
      configFile: join(xen, 'app-1.cfg'),
      disks: [
        { vdev: 'xvda', path: '/srv/img/app-1-xvda.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false },
        { vdev: 'xvdb', path: '/srv/img/app-1-xvdb.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false },
        { vdev: 'hdc', path: '', format: 'empty', backend: 'qdisk', readonly: true, cdrom: true },
      ],
    },
    {
      key: 'name-ghost',
      uuid: null,
      name: 'ghost',
      state: 'running',
      domid: 11,
      instanceUuid: '11111111-2222-4333-8444-555555555555',
      qmp: join(run, 'qmp-libxl-11'),
      disks: [{ vdev: 'xvda', path: '/srv/img/ghost.vhd', format: 'vhd', backend: 'tap', readonly: false, cdrom: false }],
    },
    {
      key: 'name-legacy-1',
      uuid: null,
      name: 'legacy-1',
      state: 'shutoff',
      configFile: join(xen, 'legacy-1.cfg'),
      disks: [{ vdev: 'xvda', path: '/srv/img/legacy-1.vhd', format: 'vhd', backend: 'tap', readonly: false, cdrom: false }],
    },
    {
      key: HVM_UUID,
      uuid: HVM_UUID,
      name: 'test-hvm',
      state: 'paused',
      domid: 7,
      instanceUuid: HVM_UUID,
      qmp: join(run, 'qmp-libxl-7'),
      configFile: join(xen, 'test-hvm.cfg'),
      disks: [
        { vdev: 'hda', path: '/var/lib/xen/images/test-hvm.img', format: 'raw', backend: 'qdisk', readonly: false, cdrom: false, qdiskOptions: { directIo: false, discard: true }, node: 'hda-raw' },
        { vdev: 'hdb', path: '/root/boot.iso', format: 'raw', backend: 'qdisk', readonly: true, cdrom: true },
      ],
    },
    {
      key: PV_UUID,
      uuid: PV_UUID,
      name: 'test-pv',
      state: 'running',
      domid: 3,
      instanceUuid: PV_UUID,
      qmp: join(run, 'qmp-libxl-3'),
      configFile: join(xen, 'test-pv.cfg'),
      disks: [{ vdev: 'xvda', path: '/var/lib/xen/images/test-pv.img', format: 'raw', backend: 'qdisk', readonly: false, cdrom: false, qdiskOptions: { directIo: false, discard: true }, node: 'xvda-raw' }],
    },
    {
      // The uuid xl reports for web-2 changes at every start: the name is its identity; the
      // instance's uuid still names libxl's lock files.
      key: 'name-web-2',
      uuid: null,
      name: 'web-2',
      state: 'running',
      domid: 9,
      instanceUuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      qmp: join(run, 'qmp-libxl-9'),
      configFile: join(xen, 'web-2.cfg'),
      disks: [
        { vdev: 'xvda', path: '/srv/img/web-2.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false, qdiskOptions: { directIo: false, discard: true }, node: 'xvda-qcow2' },
        // no readwrite field: libxl's default 0, read-only; QEMU's driver for vhd is vpc
        { vdev: 'xvdb', path: '/srv/img/web-2-old.vhd', format: 'vhd', backend: 'qdisk', readonly: true, cdrom: false, qdiskOptions: { directIo: false, discard: false }, node: 'xvdb-vpc' },
      ],
    },
  ]);
  assert.deepEqual(findings, [
    { kind: 'info', domain: { uuid: null, name: 'ghost' }, message: 'domain ghost: no xl.cfg in the config directory names it; keyed by name (name-ghost)' },
    { kind: 'skipped', domain: { uuid: null, name: 'bad-disk' }, message: `${join(xen, 'bad-disk.cfg')}:3:3: disk '/srv/img/x.qcow2,qcow2,xvda,backendtype=phy': backendtype=phy supports only format raw, not qcow2` },
    {
      kind: 'skipped',
      domain: { uuid: null, name: 'bad name' },
      message: `${join(xen, 'bad-name.cfg')}:1:8: name 'bad name' cannot key a state folder (use letters, digits, '.', '_', '-', or add a uuid line)`,
    },
    { kind: 'skipped', domain: { uuid: null, name: 'broken-1' }, message: `${join(xen, 'broken.cfg')}:4:3: expected a value (string, number or list), found name 'oops'` },
    { kind: 'skipped', domain: { uuid: null, name: 'twin' }, message: `domain twin: ${join(xen, 'twin-a.cfg')} and ${join(xen, 'twin-b.cfg')} define the same domain name or uuid; skipped` },
    {
      kind: 'skipped',
      domain: { uuid: '99999999-2222-4333-8444-555555555555', name: 'twin' },
      message: `domain twin: ${join(xen, 'twin-b.cfg')} and ${join(xen, 'twin-a.cfg')} define the same domain name or uuid; skipped`,
    },
  ]);
  assert.deepEqual(await w.calls(), [['list', '-l'], ['list']]);
});

test('a CD-ROM is never a snapshot target: cdrom is set for running and shut-off domains', async (t) => {
  const { w, config } = await xenHost(t);
  const { domains } = await loadInventory(config, { probe: noProbe, xl: w.xl });
  const cdroms = domains.flatMap((d) => d.disks.filter((x) => x.cdrom).map((x) => `${d.name}/${x.vdev}/${x.node ?? 'no-node'}`));
  assert.deepEqual(cdroms, ['app-1/hdc/no-node', 'test-hvm/hdb/no-node']);
});

test('a domain that is shutting down is skipped, and its xl.cfg is not taken for a shut-off domain', async (t) => {
  const w = await makeXlWorld(t, { domains: [{ domid: 4, state: '---s--', config: { c_info: { name: 'app-1', uuid: APP_UUID } } }] });
  await mkdir(join(w.dir, 'xen'));
  await writeFile(join(w.dir, 'xen', 'app-1.cfg'), `name = "app-1"\nuuid = "${APP_UUID}"\n`);
  const r = await loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl });
  assert.deepEqual(r, {
    domains: [],
    findings: [{ kind: 'skipped', domain: { uuid: APP_UUID, name: 'app-1' }, message: 'domain app-1: state ---s-- (shut down (poweroff)); skipped' }],
    skipped: [{ name: 'app-1', uuid: APP_UUID, key: APP_UUID, cause: 'state-transient', reason: 'state ---s-- (shut down (poweroff))', disks: [] }],
  });
});

test('one domain in a state xensnap cannot read, or shut down by its watchdog, is skipped; the rest of the host is listed', async (t) => {
  const w = await makeXlWorld(t, {
    domains: [
      { domid: 4, state: '---sw-', config: { c_info: { name: 'wd-1', uuid: APP_UUID } } },
      { domid: 5, state: '-b-?--', config: { c_info: { name: 'odd-1', uuid: PV_UUID } } },
      { domid: 6, state: '-b----', config: { c_info: { name: 'ok-1', uuid: HVM_UUID } } },
    ],
  });
  await mkdir(join(w.dir, 'xen'));
  const r = await loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl });
  assert.deepEqual(r.domains.map((d) => [d.name, d.state, d.instanceUuid]), [['ok-1', 'running', HVM_UUID]]);
  assert.deepEqual(r.skipped.map((s) => [s.name, s.cause, s.reason]), [
    ['wd-1', 'state-transient', 'state ---sw- (shut down (watchdog))'],
    ['odd-1', 'state-unknown', 'xl list shows state -b-?--, which xensnap cannot read; state unknown'],
  ]);
});

test('a running domain whose uuid differs from the one its xl.cfg fixes is skipped', async (t) => {
  const w = await makeXlWorld(t, { domains: [{ domid: 4, state: 'r-----', config: { c_info: { name: 'app-1', uuid: PV_UUID } } }] });
  await mkdir(join(w.dir, 'xen'));
  await writeFile(join(w.dir, 'xen', 'app-1.cfg'), `name = "app-1"\nuuid = "${APP_UUID}"\n`);
  const r = await loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl });
  assert.deepEqual(r.domains, []);
  assert.deepEqual(r.findings.map((f) => f.message), [
    `domain app-1: running with uuid ${PV_UUID} but ${join(w.dir, 'xen', 'app-1.cfg')} fixes uuid ${APP_UUID}; restart it to apply the config; skipped`,
  ]);
});

test('a renamed running domain is matched to its xl.cfg by uuid and not listed twice', async (t) => {
  const w = await makeXlWorld(t, { domains: [{ domid: 5, state: '-b----', config: { c_info: { name: 'app-1-renamed', uuid: APP_UUID } } }] });
  await mkdir(join(w.dir, 'xen'));
  await writeFile(join(w.dir, 'xen', 'app-1.cfg'), `name = "app-1"\nuuid = "${APP_UUID}"\n`);
  const r = await loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl });
  assert.deepEqual(r.domains.map((d) => [d.name, d.key, d.state, d.configFile]), [['app-1-renamed', APP_UUID, 'running', join(w.dir, 'xen', 'app-1.cfg')]]);
  assert.deepEqual(r.findings, []);
});

test('when xl fails, the inventory fails with the command, exit code and stderr (nothing is called shut off)', async (t) => {
  const w = await makeXlWorld(t, { domains: [], failures: [{ command: 'list -l', exitCode: 1, stderr: 'libxl: error: cannot connect to xenstored\n' }] });
  await mkdir(join(w.dir, 'xen'));
  await writeFile(join(w.dir, 'xen', 'app-1.cfg'), `name = "app-1"\n`);
  await assert.rejects(loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl }), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.deepEqual(e.command, ['xl', 'list', '-l']);
    assert.equal(e.exitCode, 1);
    assert.equal(e.stderr, 'libxl: error: cannot connect to xenstored\n');
    return true;
  });
});

test('a missing config directory is an info finding; live domains are still found', async (t) => {
  const w = await makeXlWorld(t, { domains: [{ domid: 2, state: 'r-----', config: { c_info: { name: 'solo', uuid: APP_UUID } } }] });
  const r = await loadInventory(hostConfig(w.dir), { probe: noProbe, xl: w.xl });
  assert.deepEqual(r.domains.map((d) => [d.key, d.state]), [['name-solo', 'running']]);
  assert.deepEqual(r.findings.map((f) => f.message), [
    `xen.configDir ${join(w.dir, 'xen')} does not exist: no shut-off domains found`,
    'domain solo: no xl.cfg in the config directory names it; keyed by name (name-solo)',
  ]);
});
