// Worlds for the revert crash matrix: a domain with two disks and snapshots made through the CLI,
// saved as a template so every crash point starts from the same files (and the same running QEMU
// or xl stand-in domain), the guest's view of every disk, and the content of every snapshot.
import { execFile, spawn } from 'node:child_process';
import { access, constants, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import { qemuArgv } from '../../src/lab/qemu-argv.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { createDynamicVhd } from '../../src/formats/vhd/vhd-create.js';
import { guestWrite, ownComposed, STUBS } from '../backends/blktap/blktap-fixture.js';
import { MAIN } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);
export const DISK = 4 << 20;
const CHUNK = 64 << 10;
const UUID = '6c2f0a7e-4b1d-4e8a-9f3c-2d5e6f7a8b9c';

export interface CellDisk {
  vdev: string;
  path: string;
  format: 'qcow2' | 'vhd';
  /** The guest's view, updated by every write. */
  model: Buffer;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** One world: files, config, how to start and stop its domain, and the CLI both ways. */
export interface RevertWorld {
  dir: string;
  config: string;
  images: string;
  state: string;
  hypervisor: 'qemu' | 'xen';
  domain: string;
  disks: CellDisk[];
  env: NodeJS.ProcessEnv;
  /** Starts the domain (QEMU from its inventory launch line, or the xl stand-in's world entry). */
  start(): Promise<void>;
  /** Stops whatever runs the domain now (a QEMU a restore started included). */
  stop(): Promise<void>;
  /** 'running' | 'paused' | 'shutoff', as the hypervisor says. */
  status(): Promise<string>;
  /** The guest writes chunk `seed` of every disk (through QEMU when it runs). */
  write(seed: number): Promise<void>;
  /** Saves the files as the template every reset() returns to (the domain stopped meanwhile). */
  saveTemplate(running: boolean): Promise<void>;
  reset(): Promise<void>;
  spawnCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  cli(...args: string[]): Promise<CliRun>;
  close(): Promise<void>;
}

async function qmpCall<T>(qmp: string, command: string, args?: object): Promise<T> {
  const c = await QmpClient.connect(qmp, { timeoutMs: 5000 });
  try {
    return await c.execute<T>(command, args);
  } finally {
    c.close();
  }
}

async function base(dir: string) {
  const images = join(dir, 'images');
  const state = join(dir, 'state');
  for (const d of [images, join(dir, 'policies'), join(dir, 'run'), join(dir, 'xen'), join(dir, 'template')]) await mkdir(d, { recursive: true });
  await mkdir(state, { recursive: true, mode: 0o700 });
  return { images, state };
}

type Common = Omit<RevertWorld, 'start' | 'stop' | 'status' | 'write' | 'saveTemplate' | 'reset'>;

function common(dir: string, images: string, state: string, domain: string, disks: CellDisk[], hypervisor: 'qemu' | 'xen', config: string, env: NodeJS.ProcessEnv): Common {
  return {
    dir, config, images, state, hypervisor, domain, disks, env,
    spawnCli(args, extra = {}) {
      return new Promise((res) => {
        const child = spawn(process.execPath, [MAIN, '--config', config, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
        child.on('exit', (code, signal) => res({ code, signal, out, err }));
      });
    },
    async cli(...args) {
      let out = '';
      let err = '';
      const stream = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream;
      const code = await main(['--config', config, ...args], { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), env: {} });
      return { code, signal: null, out, err };
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A standalone QEMU host: domain vm-1, two qcow2 disks, its inventory `launch` line for restores. */
export async function qemuRevertWorld(dir: string): Promise<RevertWorld> {
  const { images, state } = await base(dir);
  const qmp = join(dir, 'run', 'vm-1.qmp');
  const disks: CellDisk[] = ['xvda', 'xvdb'].map((v) => ({ vdev: v, path: join(images, `vm-1-${v}.qcow2`), format: 'qcow2', model: Buffer.alloc(DISK) }));
  for (const d of disks) await exec('qemu-img', ['create', '-q', '-f', 'qcow2', d.path, String(DISK)]);
  const launch = qemuArgv({ qmp, name: 'vm-1', disks: disks.map((d) => ({ path: d.path, format: 'qcow2', node: d.vdev })) });
  await writeFile(join(dir, 'inventory.yaml'), `domains:\n  - name: vm-1\n    uuid: ${UUID}\n    qmp: ${qmp}\n    disks:\n${disks.map((d) => `      - { vdev: ${d.vdev}, path: ${d.path}, format: qcow2, node: ${d.vdev} }\n`).join('')}    launch: ${JSON.stringify(launch)}\n`);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${state}\npolicyDir: ${join(dir, 'policies')}\nlimits: { maxDeletes: 50, concurrency: 1 }\nhypervisor: qemu\nqemu: { inventory: ${join(dir, 'inventory.yaml')} }\n`);
  const env = { ...process.env };
  delete env.XENSNAP_TEST_CRASH_AT;
  delete env.XENSNAP_TEST_TRACE_STEPS;
  const w = common(dir, images, state, 'vm-1', disks, 'qemu', config, env);
  let templateRunning = false;
  const status = async () => {
    try {
      const s = await qmpCall<{ status: string }>(qmp, 'query-status');
      return s.status === 'running' ? 'running' : 'paused';
    } catch {
      return 'shutoff';
    }
  };
  const world: RevertWorld = {
    ...w,
    status,
    async start() {
      await exec('qemu-system-x86_64', [...launch, '-daemonize']);
      await qmpCall(qmp, 'cont');
    },
    async stop() {
      // whoever serves the socket, the launcher's QEMU after a restore included
      for (let i = 0; i < 3000 && (await status()) !== 'shutoff'; i++) { // a real process ending: a generous bound
        await qmpCall(qmp, 'quit').catch(() => {});
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async write(seed) {
      const running = (await status()) !== 'shutoff';
      for (const [i, d] of disks.entries()) {
        const pattern = (seed * 37 + i * 11 + 1) & 0xff || 1;
        const off = (seed % (DISK / CHUNK)) * CHUNK;
        const hex = `0x${pattern.toString(16)}`;
        if (running) {
          for (const cmd of [`write -P ${hex} ${off} ${CHUNK}`, 'flush']) {
            const r = await qmpCall<string>(qmp, 'human-monitor-command', { 'command-line': `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "${cmd}"` });
            if (r.trim()) throw new Error(`qemu-io: ${r}`);
          }
        } else await exec('qemu-io', ['-f', 'qcow2', '-c', `write -P ${hex} ${off} ${CHUNK}`, d.path]);
        d.model.fill(pattern, off, off + CHUNK);
      }
    },
    async saveTemplate(running) {
      templateRunning = running;
      await world.stop();
      await rm(join(dir, 'template'), { recursive: true, force: true });
      await cp(images, join(dir, 'template', 'images'), { recursive: true });
      await cp(state, join(dir, 'template', 'state'), { recursive: true });
      if (running) await world.start();
    },
    async reset() {
      await world.stop();
      for (const d of [images, state]) await rm(d, { recursive: true, force: true });
      await cp(join(dir, 'template', 'images'), images, { recursive: true });
      await cp(join(dir, 'template', 'state'), state, { recursive: true });
      if (templateRunning) await world.start();
    },
    async close() {
      await world.stop();
      await w.close();
    },
  };
  return world;
}

/** A xen host with the xl and tap-ctl stand-ins: domain leg-1, two VHDs on tap. */
export async function xenRevertWorld(dir: string): Promise<RevertWorld> {
  const { images, state } = await base(dir);
  const disks: CellDisk[] = ['xvda', 'xvdb'].map((v) => ({ vdev: v, path: join(images, `leg-1-${v}.vhd`), format: 'vhd', model: Buffer.alloc(DISK) }));
  for (const d of disks) await createDynamicVhd(d.path, DISK);
  await writeFile(join(dir, 'xen', 'leg-1.cfg'), `name = "leg-1"\nuuid = "${UUID}"\nmemory = 256\ndisk = [ ${disks.map((d) => `'format=vhd, vdev=${d.vdev}, access=rw, backendtype=tap, target=${d.path}'`).join(', ')} ]\n`);
  const xlState = join(dir, 'xl-world.json');
  const tapState = join(dir, 'tapctl-state.json');
  await writeFile(xlState, JSON.stringify({ domains: [], nextDomid: 5 }) + '\n');
  await writeFile(tapState, JSON.stringify({ tapdisks: disks.map((d, i) => ({ pid: 4000 + i, minor: i, args: `vhd:${d.path}`, paused: false })) }));
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${state}\npolicyDir: ${join(dir, 'policies')}\nlimits: { maxDeletes: 50, concurrency: 1 }\nhypervisor: xen\nxen: { configDir: ${join(dir, 'xen')}, runDir: ${join(dir, 'run')} }\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${STUBS}:${process.env.PATH}`, XENSNAP_XL_STATE: xlState, XENSNAP_TAPCTL_STATE: tapState, XENSNAP_TAPCTL_LOG: join(dir, 'tapctl.log') };
  delete env.XENSNAP_TEST_CRASH_AT;
  delete env.XENSNAP_TEST_TRACE_STEPS;
  Object.assign(process.env, { PATH: env.PATH, XENSNAP_XL_STATE: xlState, XENSNAP_TAPCTL_STATE: tapState, XENSNAP_TAPCTL_LOG: env.XENSNAP_TAPCTL_LOG });
  const w = common(dir, images, state, 'leg-1', disks, 'xen', config, env);
  const xlWorld = async () => JSON.parse(await readFile(xlState, 'utf8')) as { domains: { domid: number; state?: string; config: { c_info: { name: string } } }[] };
  const world: RevertWorld = {
    ...w,
    async status() {
      const d = (await xlWorld()).domains.find((x) => x.config.c_info.name === 'leg-1');
      return !d ? 'shutoff' : d.state?.includes('p') ? 'paused' : 'running';
    },
    async start() {
      const x = await xlWorld();
      const config = { c_info: { type: 'pvh', name: 'leg-1', uuid: UUID }, b_info: { max_memkb: 262144, target_memkb: 262144 }, disks: disks.map((d) => ({ pdev_path: d.path, vdev: d.vdev, backend: 'tap', format: 'vhd', readwrite: 1 })) };
      x.domains.push({ domid: 4, state: '-b----', config });
      await writeFile(xlState, JSON.stringify(x) + '\n');
    },
    async stop() {
      const x = await xlWorld();
      x.domains = x.domains.filter((d) => d.config.c_info.name !== 'leg-1');
      await writeFile(xlState, JSON.stringify(x) + '\n');
    },
    async write(seed) {
      for (const [i, d] of disks.entries()) {
        const pattern = (seed * 37 + i * 11 + 1) & 0xff || 1;
        const off = (seed % (DISK / CHUNK)) * CHUNK;
        await guestWrite(d.path, off, Buffer.alloc(CHUNK, pattern));
        d.model.fill(pattern, off, off + CHUNK);
      }
    },
    async saveTemplate() {
      await rm(join(dir, 'template'), { recursive: true, force: true });
      for (const [from, to] of [[images, 'images'], [state, 'state'], [xlState, 'xl-world.json'], [tapState, 'tapctl-state.json']] as const) await cp(from, join(dir, 'template', to), { recursive: true });
    },
    async reset() {
      for (const d of [images, state]) await rm(d, { recursive: true, force: true });
      for (const [to, from] of [[images, 'images'], [state, 'state'], [xlState, 'xl-world.json'], [tapState, 'tapctl-state.json']] as const) await cp(join(dir, 'template', from), to, { recursive: true });
    },
  };
  return world;
}

/**
 * A fresh folder for a world, on /dev/shm when there is one: the matrix runs hundreds of
 * journaled reverts, and fsync on a shared disk would dominate (the crashes are process kills,
 * so nothing here depends on what fsync makes durable across a power loss).
 */
export async function worldDir(prefix: string): Promise<string> {
  const root = (await access('/dev/shm', constants.W_OK).then(() => true, () => false)) ? '/dev/shm' : tmpdir();
  return mkdtemp(join(root, prefix));
}

/** The guest-visible bytes of an image, or of one internal snapshot of it. */
export async function content(d: Pick<CellDisk, 'format'>, path: string, tag?: string): Promise<Buffer> {
  if (d.format === 'vhd') return ownComposed(path);
  const out = `${path}.read-${process.pid}.raw`;
  await exec('qemu-img', ['convert', '-U', '-f', 'qcow2', ...(tag ? ['-l', `snapshot.name=${tag}`] : []), '-O', 'raw', path, out]);
  try {
    return await readFile(out);
  } finally {
    await rm(out, { force: true });
  }
}

/** Every file of the images folder. */
export async function imageFiles(w: RevertWorld): Promise<string[]> {
  return (await readdir(w.images)).sort();
}
