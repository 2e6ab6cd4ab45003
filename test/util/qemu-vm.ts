import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient } from '../../src/qmp/qmp-client.js';

/** One disk to attach: `node` is the top (format) node name, default `vd<N>-qcow2` style `xvd<letter>-<format>`. */
export interface VmDisk {
  path: string;
  node?: string;
  format?: 'qcow2' | 'raw';
}

/** A running test QEMU (TCG, stopped CPUs, no guest OS) with a QMP socket. */
export interface TestVm {
  /** The domain's QMP socket, left free for the code under test (QEMU serves one client per socket). */
  qmpPath: string;
  /** A second QMP monitor that `client()` and `stop()` use, so tests can talk while the code under test holds `qmpPath`. */
  auxQmpPath: string;
  pid: number;
  /** Node names of the disks' top nodes, in the order given; device ids are vd0, vd1, … */
  nodes: string[];
  process: ChildProcess;
  /** A fresh QMP session on the auxiliary monitor (the caller closes it). */
  client(): Promise<QmpClient>;
  /** Everything QEMU printed on stdout so far (HMP qemu-io prints there, not into the QMP reply). */
  stdout(): string;
  /** Asks QEMU to `quit` (it flushes qcow2 metadata caches), SIGKILL after 5 s; safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL now (a crash: qcow2 metadata not yet flushed is lost) and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts `qemu-system-x86_64 -machine q35,accel=tcg -nodefaults -display none -S` with each disk as a
 * separately named file node + format node behind `virtio-blk-pci` (share-rw so HMP qemu-io can write),
 * imitating Xen's qdisk node names (`xvda-qcow2`) by default.
 */
export async function startVm(opts: { dir: string; disks: VmDisk[]; memMb?: number; extraArgs?: string[] }): Promise<TestVm> {
  const qmpPath = join(opts.dir, `qmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.sock`);
  const args = ['-machine', 'q35,accel=tcg', '-nodefaults', '-display', 'none', '-S', '-m', String(opts.memMb ?? 64)];
  const auxQmpPath = `${qmpPath.slice(0, -5)}-aux.sock`;
  args.push('-qmp', `unix:${qmpPath},server=on,wait=off`, '-qmp', `unix:${auxQmpPath},server=on,wait=off`);
  const nodes: string[] = [];
  opts.disks.forEach((d, i) => {
    const format = d.format ?? 'qcow2';
    const node = d.node ?? `xvd${String.fromCharCode(97 + i)}-${format}`;
    nodes.push(node);
    const file = `${node}-file`;
    args.push('-blockdev', JSON.stringify({ driver: 'file', 'node-name': file, filename: d.path }));
    args.push('-blockdev', JSON.stringify({ driver: format, 'node-name': node, file }));
    args.push('-device', `virtio-blk-pci,drive=${node},id=vd${i},share-rw=on`);
  });
  args.push(...(opts.extraArgs ?? []));
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  const kill = async () => {
    if (!dead) child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    if (dead) return;
    try {
      const c = await QmpClient.connect(auxQmpPath, { timeoutMs: 3_000 });
      await c.execute('quit', undefined, { timeoutMs: 3_000 }).catch(() => {}); // QEMU resets the socket on quit
      c.close();
    } catch {
      // fall through to SIGKILL
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  // Wait for the socket to answer with a greeting.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (dead) throw new Error(`qemu-system-x86_64 exited at start: ${stderr.trim()}`);
    try {
      for (const path of [qmpPath, auxQmpPath]) (await QmpClient.connect(path, { timeoutMs: 5_000 })).close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`QEMU did not answer on ${qmpPath}: ${(err as Error).message}; stderr: ${stderr.trim()}`);
      }
      await sleep(20);
    }
  }
  return {
    qmpPath,
    auxQmpPath,
    pid: child.pid!,
    nodes,
    process: child,
    client: () => QmpClient.connect(auxQmpPath),
    stdout: () => stdout,
    stop,
    kill,
  };
}
