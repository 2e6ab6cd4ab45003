// Live snapshot (memory + 2 disks) of a running 256 MiB domain, 20 runs per path: the whole
// takeLiveSnapshot and the guest-visible pause window. Paths: external (stop, transaction,
// migrate to file, cont) and internal (stop, snapshot-save job, cont). Baselines measured in the
// same run: the bare QMP memory save alone (stop, migrate to file, cont) and a bare snapshot-save
// job, i.e. what QEMU itself costs without xensnap's disk work, journal and checks.
// Note: a guest-less QEMU's RAM is almost all zero pages, which migration sends compactly; a
// booted guest with 256 MiB of real data writes a far larger memory image and pauses longer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noJournal } from '../src/backends/backend.js';
import { QdiskBackend } from '../src/backends/qdisk/qdisk-backend.js';
import { QemuDriver } from '../src/hypervisor/qemu/qemu-driver.js';
import { takeLiveSnapshot } from '../src/hypervisor/live-snapshot.js';
import { migrateToFile } from '../src/hypervisor/qemu/migrate-to-file.js';
import { runJob } from '../src/qmp/jobs.js';
import type { TestContext } from 'node:test';
import { createImages, startLiveDomain, type LiveDomain } from '../test/hypervisor/live-vm.js';
import { median, percentile } from './stats.js';

const RUNS = 20;
const MEM_MB = 256;

function fmt(xs: number[]): string {
  return `median ${median(xs).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms`;
}

async function withDomain<T>(fn: (vm: LiveDomain, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-live-'));
  const cleanups: (() => Promise<void>)[] = [];
  const t = { after: (f: () => Promise<void>) => cleanups.push(f) } as unknown as TestContext;
  try {
    const vm = await startLiveDomain(t, dir, await createImages(dir, 2, 256 * 1024 * 1024), MEM_MB);
    return await fn(vm, dir);
  } finally {
    for (const c of cleanups) await c();
    await rm(dir, { recursive: true, force: true });
  }
}

async function ours(type: 'external' | 'internal'): Promise<{ total: number[]; pause: number[]; bytes: number }> {
  return withDomain(async (vm, dir) => {
    const driver = new QemuDriver({ launcher: vm.launcher });
    const backend = new QdiskBackend({ connect: (d) => driver.qmp(d) });
    const total: number[] = [];
    const pause: number[] = [];
    let bytes = 0;
    for (let r = 0; r < RUNS; r++) {
      await vm.write(r % 2, (r % 250) + 1, r * 65536, 65536); // some guest writes to flush in the pause
      const res = await takeLiveSnapshot({
        domain: vm.domain, disks: vm.domain.disks, snapshot: `b${r}`, type, backend, driver, journal: noJournal,
        stateDir: join(dir, 'state'), quiesce: 'off', guestAgentSocket: null,
      });
      total.push(res.totalMs);
      pause.push(res.pauseWindowMs);
      bytes = res.memoryBytes;
    }
    return { total, pause, bytes };
  });
}

async function baseline(type: 'external' | 'internal'): Promise<number[]> {
  return withDomain(async (vm, dir) => {
    const out: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      await vm.write(r % 2, (r % 250) + 1, r * 65536, 65536);
      // A session of its own per run (QEMU serves one client per monitor socket; vm.write uses it too).
      const c = await vm.aux();
      try {
        const t0 = performance.now();
        await c.execute('stop');
        if (type === 'external') await migrateToFile(c, join(dir, `m${r}.save`));
        else {
          const id = `base${r}`;
          await runJob(c, id, () => c.execute('snapshot-save', { 'job-id': id, tag: `b${r}`, vmstate: 'xvda-qcow2', devices: ['xvda-qcow2', 'xvdb-qcow2'] }), { pollMs: 5 });
        }
        await c.execute('cont');
        out.push(performance.now() - t0);
      } finally {
        c.close();
      }
    }
    return out;
  });
}

export default async function (): Promise<void> {
  for (const type of ['external', 'internal'] as const) {
    const r = await ours(type);
    const b = await baseline(type);
    const what = type === 'external' ? 'migrate + transaction' : 'snapshot-save';
    console.log(`live ${type} (${what}), ${MEM_MB} MiB RAM, 2 disks, ${RUNS} runs; memory image ${(r.bytes / 1048576).toFixed(1)} MiB`);
    console.log(`  total        ${fmt(r.total)}`);
    console.log(`  pause window ${fmt(r.pause)}`);
    console.log(`  baseline (bare QMP ${type === 'external' ? 'stop+migrate+cont' : 'stop+snapshot-save+cont'}): ${fmt(b)}; pause/baseline ${(median(r.pause) / median(b)).toFixed(2)}x`);
  }
}
