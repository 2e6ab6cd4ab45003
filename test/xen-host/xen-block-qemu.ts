// A QEMU set up the way xen-block sets up a qdisk disk (QEMU hw/block/xen-block.c
// xen_block_drive_create / xen_block_blockdev_add): format node `<vdev>-<driver>` over an inline
// (auto-named) file node with locking=off, cache.direct=on + aio=native when libxl says
// direct-io-safe, discard=unmap on both layers when discard-enable, and an iothread named after
// the vdev. The xen-disk device needs Xen, so virtio-blk-pci (same iothread) plays it. Optionally
// an HVM guest's emulated IDE drive over the same image (libxl_dm.c: -drive …,if=ide,index=N).
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { readBlockGraph } from '../../src/backends/qdisk/node-graph.js';

export interface XenBlockDisk {
  vdev: string;
  path: string;
  directIo: boolean;
  discard: boolean;
}

export interface XenBlockQemu {
  process: ChildProcess;
  /** A second monitor for the test itself (QEMU serves one client per QMP socket). */
  aux(): Promise<QmpClient>;
  stop(): Promise<void>;
}

export function xenBlockNode(d: XenBlockDisk): Record<string, unknown> {
  const file: Record<string, unknown> = { driver: 'file', filename: d.path, locking: 'off' };
  if (d.directIo) Object.assign(file, { cache: { direct: true }, aio: 'native' });
  if (d.discard) file.discard = 'unmap';
  return { driver: 'qcow2', 'node-name': `${d.vdev}-qcow2`, ...(d.discard ? { discard: 'unmap' } : {}), file };
}

export async function startXenBlockQemu(t: TestContext, opts: { qmp: string; disks: XenBlockDisk[]; emulatedIde?: string[] }): Promise<XenBlockQemu> {
  const aux = `${opts.qmp}.aux`;
  const args = ['-machine', 'pc,accel=tcg', '-nodefaults', '-display', 'none', '-S', '-m', '32'];
  args.push('-qmp', `unix:${opts.qmp},server=on,wait=off`, '-qmp', `unix:${aux},server=on,wait=off`);
  for (const d of opts.disks) {
    args.push('-object', `iothread,id=${d.vdev}`);
    args.push('-blockdev', JSON.stringify(xenBlockNode(d)));
    args.push('-device', `virtio-blk-pci,drive=${d.vdev}-qcow2,iothread=${d.vdev},id=${d.vdev}`);
  }
  (opts.emulatedIde ?? []).forEach((path, i) => args.push('-drive', `file=${path},if=ide,index=${i},media=disk,format=qcow2,cache=writeback,file.locking=off`));
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  for (let i = 0; ; i++) {
    try {
      (await QmpClient.connect(aux, { timeoutMs: 2000 })).close();
      break;
    } catch (err) {
      if (child.exitCode !== null || i > 200) throw new Error(`QEMU did not start: ${stderr || (err as Error).message}`);
      await sleep(25);
    }
  }
  return { process: child, aux: () => QmpClient.connect(aux, { timeoutMs: 5000 }), stop };
}

/**
 * The guest's disk `vdev` as QEMU shows it: query-block of its device (the root node's driver,
 * read-only flag, cache and detect-zeroes) and the cache flags of the root's file child
 * (query-named-block-nodes; xen-block puts cache.direct on the file layer).
 */
export async function guestDiskSettings(client: QmpClient, vdev: string): Promise<Record<string, unknown>> {
  const blocks = await client.execute<{ qdev?: string; inserted?: { drv: string; ro: boolean; cache: unknown; detect_zeroes: string; 'node-name': string } }[]>('query-block');
  const b = blocks.find((x) => x.qdev === vdev || x.qdev === `/machine/peripheral/${vdev}/virtio-backend`);
  if (!b?.inserted) throw new Error(`no block device for ${vdev}: ${JSON.stringify(blocks)}`);
  const { drv, ro, cache, detect_zeroes } = b.inserted;
  const graph = await readBlockGraph(client);
  const root = graph.nodes.get(b.inserted['node-name'])!;
  const file = graph.nodes.get(root.file!)!;
  return { drv, ro, cache, detect_zeroes, file: { drv: file.drv, direct: file.cacheDirect, noFlush: file.cacheNoFlush } };
}

/** Whether QEMU (pid) holds `path` open with O_DIRECT, from /proc/<pid>/fdinfo (flags are octal). */
export async function openFlags(pid: number, path: string): Promise<{ direct: boolean }[]> {
  const { readdir, readlink, readFile } = await import('node:fs/promises');
  const out: { direct: boolean }[] = [];
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target !== path) continue;
    const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    const flags = parseInt(/flags:\s+([0-7]+)/.exec(info)?.[1] ?? '0', 8);
    out.push({ direct: (flags & 0o40000) !== 0 });
  }
  return out;
}
