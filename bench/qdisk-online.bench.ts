// Disk-only external snapshot of a running domain with 4 disks: the guest-visible pause (the
// `transaction`) and the whole create, over 50 runs; baseline: QEMU's own `blockdev-snapshot-sync`
// transaction (creates the overlay files inside the pause, and does not keep leaf paths stable).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noJournal } from '../src/backends/backend.js';
import { createExternalOnline } from '../src/backends/qdisk/online-external-create.js';
import type { Disk } from '../src/model/domain.js';
import { humanMonitor } from '../src/qmp/human-monitor.js';
import { run } from '../src/util/exec.js';
import { startVm } from '../test/util/qemu-vm.js';
import { median, percentile } from './stats.js';

const RUNS = 50;
const DISKS = 4;

async function makeDisks(dir: string): Promise<Disk[]> {
  const disks: Disk[] = [];
  for (let i = 0; i < DISKS; i++) {
    const vdev = `xvd${String.fromCharCode(97 + i)}`;
    const path = join(dir, `${vdev}.qcow2`);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, '64M']);
    disks.push({ vdev, path, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false });
  }
  return disks;
}

async function dirty(c: Awaited<ReturnType<Awaited<ReturnType<typeof startVm>>['client']>>, run: number): Promise<void> {
  // Some guest writes before each snapshot so the flush inside the pause has work to do.
  for (let i = 0; i < DISKS; i++) {
    await humanMonitor(c, `qemu-io -d /machine/peripheral/vd${i}/virtio-backend "write -P ${(run % 250) + 1} ${run * 65536} 65536"`);
  }
}

function fmt(xs: number[]): string {
  return `median ${median(xs).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms`;
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-online-'));
  try {
    // Ours.
    const disks = await makeDisks(await mkdtemp(join(dir, 'a-')));
    const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
    const pauses: number[] = [];
    const wholes: number[] = [];
    try {
      const c = await vm.client();
      await c.execute('cont');
      for (let r = 0; r < RUNS; r++) {
        await dirty(c, r);
        const t0 = performance.now();
        await createExternalOnline(c, disks, `b${r}`, noJournal, undefined, { onTransaction: (ms) => pauses.push(ms) });
        wholes.push(performance.now() - t0);
      }
      c.close();
    } finally {
      await vm.stop();
    }
    // Baseline: blockdev-snapshot-sync transaction on 4 fresh disks.
    const bdir = await mkdtemp(join(dir, 'b-'));
    const bdisks = await makeDisks(bdir);
    const bvm = await startVm({ dir, disks: bdisks.map((d) => ({ path: d.path })) });
    const base: number[] = [];
    try {
      const c = await bvm.client();
      await c.execute('cont');
      const tops = bvm.nodes.slice();
      for (let r = 0; r < RUNS; r++) {
        await dirty(c, r);
        const actions = tops.map((node, i) => ({
          type: 'blockdev-snapshot-sync',
          data: { 'node-name': node, 'snapshot-file': join(bdir, `d${i}-s${r}.qcow2`), 'snapshot-node-name': `n${i}s${r}`, format: 'qcow2' },
        }));
        const t0 = performance.now();
        await c.execute('transaction', { actions });
        base.push(performance.now() - t0);
        tops.splice(0, tops.length, ...tops.map((_, i) => `n${i}s${r}`));
      }
      c.close();
    } finally {
      await bvm.stop();
    }
    console.log(`external snapshot, running domain, ${DISKS} disks, ${RUNS} runs`);
    console.log(`  pause window (transaction): ${fmt(pauses)}   target median <= 15 ms`);
    console.log(`  whole create (stable-path sequence + verify): ${fmt(wholes)}`);
    console.log(`  baseline blockdev-snapshot-sync transaction: ${fmt(base)}`);
    console.log(`  pause ratio ours/baseline (medians): ${(median(pauses) / median(base)).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
