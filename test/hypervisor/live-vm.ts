// Test helpers: a "domain" QEMU started through the production ArgvLauncher (so a restore can start
// the very same command line), guest-like writes through HMP qemu-io, and raw reference files.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { qemuArgv } from '../../src/lab/qemu-argv.js';
import { ArgvLauncher } from '../../src/hypervisor/qemu/qemu-launcher.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { humanMonitor } from '../../src/qmp/human-monitor.js';
import type { Domain } from '../../src/model/domain.js';

const exec = promisify(execFile);

/** A lab domain: its Domain object, the launcher that (re)starts it, and an aux QMP socket for tests. */
export interface LiveDomain {
  domain: Domain;
  launcher: ArgvLauncher;
  auxPath: string;
  pids: number[];
  aux(): Promise<QmpClient>;
  status(): Promise<string>;
  /** Writes `len` bytes of `pattern` at `off` on disk `i` the way the guest would (through the device). */
  write(i: number, pattern: number, off: number, len: number): Promise<void>;
  /** Flushes every disk (qcow2 metadata caches included), so qemu-img -U reads what the guest sees. */
  flush(): Promise<void>;
  killAll(): Promise<void>;
}

export async function createImages(dir: string, n: number, size: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = join(dir, `disk${i}.qcow2`);
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', p, String(size)]);
    paths.push(p);
  }
  return paths;
}

/** Starts the domain (CPUs running) with disks xvda-qcow2, xvdb-qcow2, … like Xen's qdisk nodes. */
export async function startLiveDomain(t: TestContext, dir: string, paths: string[], memMb = 64, qmpPath?: string): Promise<LiveDomain> {
  const qmp = qmpPath ?? join(dir, 'dom.qmp');
  const auxPath = join(dir, 'aux.qmp');
  const vdevs = paths.map((_, i) => `xvd${String.fromCharCode(97 + i)}`);
  const domain: Domain = {
    key: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
    uuid: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
    name: 'web-1',
    state: 'running',
    qmp,
    disks: paths.map((p, i) => ({ vdev: vdevs[i]!, path: p, format: 'qcow2', backend: 'standalone', readonly: false, cdrom: false })),
  };
  const argv = qemuArgv({
    qmp,
    memMb,
    disks: paths.map((p, i) => ({ path: p, format: 'qcow2', node: `${vdevs[i]}-qcow2` })),
    extra: ['-qmp', `unix:${auxPath},server=on,wait=off`],
  });
  const pids: number[] = [];
  const launcher = new ArgvLauncher(() => argv);
  // Record every QEMU this domain ever runs, so the test can kill them all.
  const start = launcher.start.bind(launcher);
  launcher.start = async (d, o) => {
    const r = await start(d, o);
    pids.push(r.pid);
    return r;
  };
  const aux = () => QmpClient.connect(auxPath);
  const live: LiveDomain = {
    domain,
    launcher,
    auxPath,
    pids,
    aux,
    status: async () => {
      const c = await aux();
      try {
        return (await c.execute<{ status: string }>('query-status')).status;
      } finally {
        c.close();
      }
    },
    write: async (i, pattern, off, len) => {
      const c = await aux();
      try {
        const hex = `0x${pattern.toString(16).padStart(2, '0')}`;
        await humanMonitor(c, `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "write -P ${hex} ${off} ${len}"`);
      } finally {
        c.close();
      }
    },
    flush: async () => {
      const c = await aux();
      try {
        for (let i = 0; i < paths.length; i++) await humanMonitor(c, `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "flush"`);
      } finally {
        c.close();
      }
    },
    killAll: async () => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          continue;
        }
        for (let k = 0; k < 100; k++) {
          try {
            process.kill(pid, 0);
            await sleep(20);
          } catch {
            break;
          }
        }
      }
    },
  };
  t.after(() => live.killAll());
  await launcher.start(domain, {});
  const c = await aux();
  await c.execute('cont');
  c.close();
  return live;
}

/** Applies a write to a raw reference file (what the disk should show afterwards). */
export async function refWrite(ref: string, pattern: number, off: number, len: number): Promise<void> {
  const hex = `0x${pattern.toString(16).padStart(2, '0')}`;
  await exec('qemu-io', ['-f', 'raw', '-c', `write -P ${hex} ${off} ${len}`, ref]);
}

export async function makeRaw(path: string, size: number): Promise<void> {
  await exec('qemu-img', ['create', '-q', '-f', 'raw', path, String(size)]);
}

/** `qemu-img compare -U` (works while a QEMU holds the image): true when guest-visible bytes are equal. */
export async function sameBytes(image: string, format: string, ref: string): Promise<boolean> {
  try {
    await exec('qemu-img', ['compare', '-U', '-f', format, '-F', 'raw', image, ref]);
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 1) return false;
    throw err;
  }
}

/** Waits until the test QEMU's aux socket answers. */
export async function waitAux(path: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      (await QmpClient.connect(path, { timeoutMs: 1000 })).close();
      return;
    } catch {
      await sleep(20);
    }
  }
  throw new Error(`no QMP on ${path}`);
}
