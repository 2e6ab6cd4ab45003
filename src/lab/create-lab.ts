import { mkdir, writeFile, readFile, chmod, lstat } from 'node:fs/promises';
import { prepareLabDir, readLabMarker, removeLabEntries, writeLabMarker } from './lab-marker.js';
import { join, resolve } from 'node:path';
import { run } from '../util/exec.js';
import { qemuArgv } from './qemu-argv.js';
import { QmpClient } from '../qmp/qmp-client.js';

/** What `lab create` built: paths the demo and tests use. */
export interface Lab {
  dir: string;
  qemuConfig: string;
  xenConfig: string;
  /** The xl stand-in's world file (no running Xen domains in the lab). */
  xlState: string;
  qemuPid: number;
}

/** Everything createLab makes directly in the lab directory (the marker lists them). */
const LAB_ENTRIES = ['images', 'run', 'lib', 'xen', 'policies', 'state', 'qemu-domains.yaml', 'config-qemu.yaml', 'config-xen.yaml', 'xl-world.json'];

const UUIDS = {
  web3: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
  db1: '7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b',
  app1: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
};

async function qemuImg(args: string[]) {
  await run('qemu-img', args);
}
async function qemuIo(fmt: string, path: string, cmd: string) {
  await run('qemu-io', ['-f', fmt, '-c', cmd, path]);
}

const policy = (name: string, names: string, schedule: string, type: string, keep: string) => `# yaml-language-server: $schema=../../policies/schema/snapshot-policy.schema.json
apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: ${name}
  description: lab policy ${name}
spec:
  selector:
    names: ["${names}"]
  schedule: "${schedule}"
  mode: disk-only
  type: ${type}
  retention:
${keep}
`;

/**
 * Builds a demo/test lab in `dir`: a qemu-driver host (a running QEMU "web-3" with two qcow2 disks
 * and a foreign internal snapshot; a shut-off "db-1" whose disk sits on a foreign base image) and a
 * xen-driver host (xl.cfg domains: "app-1" with two qcow2 disks, "legacy-1" with a VHD on tap).
 */
export async function createLab(dirArg: string): Promise<Lab> {
  const dir = resolve(dirArg);
  const { madeDir } = await prepareLabDir(dir);
  await mkdir(dir, { recursive: true });
  // the marker first: a lab that fails half-way can still be destroyed
  await writeLabMarker(dir, madeDir, LAB_ENTRIES);
  const img = join(dir, 'images');
  for (const d of ['images', 'run', 'lib', 'xen', 'policies']) await mkdir(join(dir, d), { recursive: true });
  await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
  await chmod(join(dir, 'state'), 0o700);

  const q = (n: string) => join(img, n);
  for (const n of ['web-3-xvda', 'web-3-xvdb', 'db-1-xvdb', 'app-1-xvda', 'app-1-xvdb']) await qemuImg(['create', '-q', '-f', 'qcow2', q(`${n}.qcow2`), '64M']);
  await qemuImg(['create', '-q', '-f', 'qcow2', q('base-template.qcow2'), '64M']);
  await qemuIo('qcow2', q('base-template.qcow2'), 'write -P 0x11 0 1M');
  await qemuImg(['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base-template.qcow2', q('db-1-xvda.qcow2')]);
  await qemuIo('qcow2', q('db-1-xvda.qcow2'), 'write -P 0x22 1M 1M');
  await qemuIo('qcow2', q('web-3-xvda.qcow2'), 'write -P 0x33 0 2M');
  await qemuImg(['snapshot', '-c', 'golden', q('web-3-xvda.qcow2')]);
  await qemuImg(['create', '-q', '-f', 'vpc', q('legacy-1-xvda.vhd'), '64M']);
  await qemuIo('vpc', q('legacy-1-xvda.vhd'), 'write -P 0x44 0 1M');

  const qmp = join(dir, 'run', 'web-3.qmp');
  const pidFile = join(dir, 'run', 'web-3.pid');
  const web3Argv = qemuArgv({
    qmp,
    name: 'web-3',
    disks: [
      { path: q('web-3-xvda.qcow2'), format: 'qcow2', node: 'xvda' },
      { path: q('web-3-xvdb.qcow2'), format: 'qcow2', node: 'xvdb' },
    ],
  });
  await run('qemu-system-x86_64', [
    ...web3Argv,
    '-daemonize',
    '-pidfile',
    pidFile,
  ]);
  const qemuPid = Number((await readFile(pidFile, 'utf8')).trim());
  // -S holds the CPUs; the lab's web-3 is a running domain
  const client = await QmpClient.connect(qmp);
  try {
    await client.execute('cont');
  } finally {
    client.close();
  }

  await writeFile(join(dir, 'qemu-domains.yaml'), `domains:
  - name: web-3
    uuid: ${UUIDS.web3}
    qmp: ${qmp}
    disks:
      - { vdev: xvda, path: ${q('web-3-xvda.qcow2')}, format: qcow2, node: xvda }
      - { vdev: xvdb, path: ${q('web-3-xvdb.qcow2')}, format: qcow2, node: xvdb }
    launch: ${JSON.stringify(web3Argv)}
  - name: db-1
    uuid: ${UUIDS.db1}
    qmp: ${join(dir, 'run', 'db-1.qmp')}
    disks:
      - { vdev: xvda, path: ${q('db-1-xvda.qcow2')}, format: qcow2 }
      - { vdev: xvdb, path: ${q('db-1-xvdb.qcow2')}, format: qcow2 }
`);
  await writeFile(join(dir, 'xen', 'app-1.cfg'), `name = "app-1"
uuid = "${UUIDS.app1}"
type = "pvh"
memory = 512
vcpus = 1
disk = [ 'format=qcow2, vdev=xvda, access=rw, backendtype=qdisk, target=${q('app-1-xvda.qcow2')}',
         '${q('app-1-xvdb.qcow2')},qcow2,xvdb,rw' ]
`);
  await writeFile(join(dir, 'xen', 'legacy-1.cfg'), `# no uuid line: xl makes a new one at every start, so the name is the identity
name = 'legacy-1'
memory = 256
disk = [ 'format=vhd, vdev=xvda, access=rw, backendtype=tap, target=${q('legacy-1-xvda.vhd')}' ]
`);
  await writeFile(join(dir, 'policies', 'web.yaml'), policy('web-hourly', 'web-*', '0 * * * *', 'external', '    keepLast: 3\n    keepHourly: 24\n    keepDaily: 7'));
  await writeFile(join(dir, 'policies', 'db.yaml'), policy('db-daily', 'db-*', '30 2 * * *', 'internal', '    keepDaily: 7\n    keepWeekly: 4'));
  await writeFile(join(dir, 'policies', 'apps.yaml'), policy('apps-nightly', '*-1', '0 3 * * *', 'external', '    keepLast: 2\n    keepWithin: 2d'));
  const common = `stateDir: ${join(dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nlimits: { maxDeletes: 50, concurrency: 2 }\n`;
  const qemuConfig = join(dir, 'config-qemu.yaml');
  const xenConfig = join(dir, 'config-xen.yaml');
  await writeFile(qemuConfig, `${common}hypervisor: qemu\nqemu: { inventory: ${join(dir, 'qemu-domains.yaml')} }\n`);
  await writeFile(xenConfig, `${common}hypervisor: xen\nxen: { configDir: ${join(dir, 'xen')}, runDir: ${join(dir, 'run')}, libDir: ${join(dir, 'lib')} }\n`);
  const xlState = join(dir, 'xl-world.json');
  await writeFile(xlState, JSON.stringify({ domains: [] }, null, 2) + '\n');
  return { dir, qemuConfig, xenConfig, xlState, qemuPid };
}

/**
 * Stops the lab's QEMU and removes what `createLab` made (lab-marker.ts); a directory without
 * the marker is refused, untouched. Returns the entries left because the lab did not make them,
 * or null when `dirArg` does not exist.
 */
export async function destroyLab(dirArg: string): Promise<string[] | null> {
  const dir = resolve(dirArg);
  if (!(await lstat(dir).then(() => true, () => false))) return null; // nothing there: nothing to do
  const marker = await readLabMarker(dir);
  // a revert may have restarted web-3 under another pid: ask whoever serves the socket to quit
  await QmpClient.connect(join(dir, 'run', 'web-3.qmp'), { timeoutMs: 2000 })
    .then(async (c) => {
      await c.execute('quit').catch(() => {});
      c.close();
    })
    .catch(() => {});
  const pid = Number(await readFile(join(dir, 'run', 'web-3.pid'), 'utf8').catch(() => ''));
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return removeLabEntries(dir, marker);
}
