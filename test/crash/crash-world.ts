// Crash-test worlds: a host config, its domains (real images; a real QEMU for running ones), the
// xensnap CLI run as a child process, guest-like writes with an in-memory model of every disk,
// and the full convergence check the crash tests assert after each recovery.
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { createDynamicVhd } from '../../src/formats/vhd/vhd-create.js';
import { frozenImagePath } from '../../src/backends/backend.js';
import { guestWrite, ownComposed, STUBS } from '../backends/blktap/blktap-fixture.js';
import { startVm, type TestVm } from '../util/qemu-vm.js';
import { assertVhdSound } from '../util/batmap-oracle.js';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const MAIN = resolve(here, '../../src/cli/main.js');
export const DISK_SIZE = 4 << 20;
const CHUNK = 64 << 10;

export interface WorldDisk {
  vdev: string;
  path: string;
  format: 'qcow2' | 'vhd';
  /** The guest's view, updated by every write. */
  model: Buffer;
}

export interface WorldDomain {
  name: string;
  disks: WorldDisk[];
  vm: TestVm | null;
}

export interface World {
  dir: string;
  config: string;
  env: NodeJS.ProcessEnv;
  domains: WorldDomain[];
  images: string;
  state: string;
  close(): Promise<void>;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli/main.js --config <config> ...args` and waits for it. */
export function cli(w: World, args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<CliResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN, '--config', w.config, ...args], { env: { ...w.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

async function qcow2(path: string): Promise<void> {
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', path, String(DISK_SIZE)]);
}

function disk(images: string, stem: string, vdev: string, format: 'qcow2' | 'vhd'): WorldDisk {
  return { vdev, path: join(images, `${stem}-${vdev}.${format}`), format, model: Buffer.alloc(DISK_SIZE) };
}

async function base(dir: string) {
  const images = join(dir, 'images');
  const state = join(dir, 'state');
  for (const d of [images, join(dir, 'policies'), join(dir, 'run'), join(dir, 'xen')]) await mkdir(d, { recursive: true });
  await mkdir(state, { recursive: true, mode: 0o700 });
  return { images, state };
}

const common = (dir: string) => `stateDir: ${join(dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nlimits: { maxDeletes: 50, concurrency: 1 }\n`;

/** A qemu host: "run-1" and "run-2" running (two qcow2 disks each, real QEMUs) and "off-1" shut off (two qcow2 disks). */
export async function qemuWorld(dir: string): Promise<World> {
  const { images, state } = await base(dir);
  const mk = (name: string): WorldDomain => ({ name, disks: [disk(images, name, 'xvda', 'qcow2'), disk(images, name, 'xvdb', 'qcow2')], vm: null });
  const doms = [mk('run-1'), mk('run-2'), mk('off-1')];
  for (const d of doms.flatMap((x) => x.disks)) await qcow2(d.path);
  for (const dom of doms.slice(0, 2)) {
    dom.vm = await startVm({ dir: join(dir, 'run'), disks: dom.disks.map((d) => ({ path: d.path })) });
    const c = await dom.vm.client();
    await c.execute('cont');
    c.close();
  }
  const entry = (dom: WorldDomain, i: number) =>
    `  - name: ${dom.name}\n    uuid: 11111111-2222-4333-8444-55555555550${i}\n    qmp: ${dom.vm ? dom.vm.qmpPath : join(dir, 'run', `${dom.name}.qmp`)}\n    disks:\n` +
    dom.disks.map((d) => `      - { vdev: ${d.vdev}, path: ${d.path}, format: qcow2${dom.vm ? `, node: ${d.vdev}-qcow2` : ''} }\n`).join('');
  await writeFile(join(dir, 'inventory.yaml'), `domains:\n${doms.map((d, i) => entry(d, i + 1)).join('')}`);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `${common(dir)}hypervisor: qemu\nqemu: { inventory: ${join(dir, 'inventory.yaml')} }\n`);
  return world(dir, config, { ...process.env }, doms, images, state);
}

/** A xen host (xl stand-in, nothing running): "app-1" with two qcow2 disks on qdisk, "leg-1" with two VHDs on tap. */
export async function xenWorld(dir: string): Promise<World> {
  const { images, state } = await base(dir);
  const app1: WorldDomain = { name: 'app-1', disks: [disk(images, 'app-1', 'xvda', 'qcow2'), disk(images, 'app-1', 'xvdb', 'qcow2')], vm: null };
  const leg1: WorldDomain = { name: 'leg-1', disks: [disk(images, 'leg-1', 'xvda', 'vhd'), disk(images, 'leg-1', 'xvdb', 'vhd')], vm: null };
  for (const d of app1.disks) await qcow2(d.path);
  for (const d of leg1.disks) await createDynamicVhd(d.path, DISK_SIZE);
  await writeFile(join(dir, 'xen', 'app-1.cfg'), `name = "app-1"\nuuid = "11111111-2222-4333-8444-555555555513"\nmemory = 256\ndisk = [ ${app1.disks.map((d) => `'format=qcow2, vdev=${d.vdev}, access=rw, backendtype=qdisk, target=${d.path}'`).join(', ')} ]\n`);
  await writeFile(join(dir, 'xen', 'leg-1.cfg'), `name = "leg-1"\nmemory = 256\ndisk = [ ${leg1.disks.map((d) => `'format=vhd, vdev=${d.vdev}, access=rw, backendtype=tap, target=${d.path}'`).join(', ')} ]\n`);
  const xlState = join(dir, 'xl-world.json');
  await writeFile(xlState, JSON.stringify({ domains: [] }) + '\n');
  const config = join(dir, 'config.yaml');
  await writeFile(config, `${common(dir)}hypervisor: xen\nxen: { configDir: ${join(dir, 'xen')}, runDir: ${join(dir, 'run')} }\n`);
  return world(dir, config, { ...process.env, PATH: `${STUBS}:${process.env.PATH}`, XENSNAP_XL_STATE: xlState }, [app1, leg1], images, state);
}

function world(dir: string, config: string, env: NodeJS.ProcessEnv, domains: WorldDomain[], images: string, state: string): World {
  delete env.XENSNAP_TEST_CRASH_AT;
  delete env.XENSNAP_TEST_TRACE_STEPS;
  return {
    dir, config, env, domains, images, state,
    async close() {
      for (const d of domains) await d.vm?.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Makes `policy` the only policy: hourly, keepLast 1, for one domain. */
export async function onlyPolicy(w: World, domain: string, type: 'external' | 'internal'): Promise<string> {
  const name = `c-${domain}-${type.slice(0, 3)}`;
  const dir = join(w.dir, 'policies');
  for (const f of await readdir(dir)) await rm(join(dir, f));
  await writeFile(join(dir, `${name}.yaml`), `apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    names: ["${domain}"]\n  schedule: "0 * * * *"\n  mode: disk-only\n  type: ${type}\n  retention:\n    keepLast: 1\n`);
  return name;
}

async function hmp(vm: TestVm, line: string): Promise<void> {
  const c = await vm.client();
  try {
    await c.execute('human-monitor-command', { 'command-line': line });
  } finally {
    c.close();
  }
}

/** The guest writes pattern `seed` in chunk `seed` of every disk (through QEMU when it runs). */
export async function guestWrites(dom: WorldDomain, seed: number): Promise<void> {
  for (const [i, d] of dom.disks.entries()) {
    const pattern = (seed * 7 + i * 3 + 1) & 0xff || 1;
    const off = (seed % (DISK_SIZE / CHUNK)) * CHUNK;
    const hex = `0x${pattern.toString(16)}`;
    if (dom.vm) {
      await hmp(dom.vm, `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "write -P ${hex} ${off} ${CHUNK}"`);
      await hmp(dom.vm, `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "flush"`);
    } else if (d.format === 'vhd') await guestWrite(d.path, off, Buffer.alloc(CHUNK, pattern));
    else await exec('qemu-io', ['-f', 'qcow2', '-c', `write -P ${hex} ${off} ${CHUNK}`, d.path]);
    d.model.fill(pattern, off, off + CHUNK);
  }
}

/** The guest-visible bytes of an image (or one internal snapshot of it). */
export async function content(d: WorldDisk, path: string, running: boolean, tag?: string): Promise<Buffer> {
  if (d.format === 'vhd') return ownComposed(path);
  const out = join(dirname(path), `..`, `read-${process.pid}.raw`);
  await exec('qemu-img', ['convert', ...(running ? ['-U'] : []), '-f', 'qcow2', ...(tag ? ['-l', `snapshot.name=${tag}`] : []), '-O', 'raw', path, out]);
  try {
    return await readFile(out);
  } finally {
    await rm(out, { force: true });
  }
}

/**
 * Everything a converged host must show after recovery and a second apply at `at`: nothing left
 * to do, no drift, clean images, no stray files or journals, exactly `snapshot` recorded, every
 * snapshot and leaf equal to the guest's view, the domain still running if it was.
 */
export async function assertConverged(w: World, dom: WorldDomain, type: 'external' | 'internal', snapshot: string, at: string, note: string): Promise<void> {
  const plan = await cli(w, ['plan', '--detailed-exitcode', '--at', at]);
  assert.equal(plan.code, 0, `${note}: plan --detailed-exitcode: ${plan.stdout}${plan.stderr}`);
  assert.doesNotMatch(plan.stdout, /drift/, `${note}: drift findings: ${plan.stdout}`);
  const running = dom.vm !== null;
  const files = (await readdir(w.images)).sort();
  for (const f of files) {
    assert.doesNotMatch(f, /xensnap-new|\.tmp|read-/, `${note}: stray file ${f}`);
    const p = join(w.images, f);
    if (f.endsWith('.qcow2')) {
      // -U: other domains' images in this directory may be open in a running QEMU
      const r = await exec('qemu-img', ['check', '-U', '-f', 'qcow2', '--output=json', p]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '{}' }));
      const j = JSON.parse(r.stdout) as { corruptions?: number; leaks?: number; 'check-errors'?: number };
      assert.ok(!j.corruptions && !j.leaks && !j['check-errors'], `${note}: qemu-img check ${f}: ${r.stdout}`);
    } else if (f.endsWith('.vhd')) await assertVhdSound(p, `${note}: ${f}`, false); // a crash may leave a full block unmarked in the batmap, which blktap allows
  }
  const policy = snapshot.slice(0, snapshot.lastIndexOf('-'));
  // frozen images of this policy only: earlier phases' snapshots stay behind as orphans, by design
  const frozen = files.filter((f) => f.includes(`@${policy}-`));
  const wantFrozen = type === 'external' ? dom.disks.map((d) => frozenImagePath(d.path, snapshot).slice(w.images.length + 1)).sort() : [];
  assert.deepEqual(frozen.filter((f) => f.startsWith(`${dom.name}-`)), wantFrozen, `${note}: frozen images`);
  const journal = await readdir(join(w.state, '.journal')).catch(() => []);
  assert.deepEqual(journal, [], `${note}: journals left`);
  const records: string[] = [];
  for (const e of await readdir(w.state, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.')) records.push(...(await readdir(join(w.state, e.name))).filter((n) => n.startsWith('snapshotdata-')));
  }
  assert.deepEqual(records.filter((r) => r.startsWith(`snapshotdata-${policy}-`)), [`snapshotdata-${snapshot}.json`], `${note}: records`);
  for (const d of dom.disks) {
    assert.ok((await content(d, d.path, running)).equals(d.model), `${note}: leaf ${d.vdev} content`);
    const snap = type === 'external' ? await content(d, frozenImagePath(d.path, snapshot), running) : await content(d, d.path, running, snapshot);
    assert.ok(snap.equals(d.model), `${note}: snapshot ${snapshot} ${d.vdev} content`);
  }
  if (dom.vm) {
    const c = await dom.vm.client();
    try {
      const s = (await c.execute('query-status')) as { status: string };
      assert.equal(s.status, 'running', `${note}: run state`);
    } finally {
      c.close();
    }
  }
}

/** The slot of iteration k: hour k of 2026-01-01 (UTC), and the snapshot the policy names for it. */
export function slot(policy: string, k: number): { at: string; snapshot: string } {
  const d = new Date(Date.UTC(2026, 0, 1) + k * 3600_000);
  const iso = d.toISOString().replace('.000Z', 'Z');
  return { at: iso, snapshot: `${policy}-${iso.replace(/[-:]/g, '')}` };
}
