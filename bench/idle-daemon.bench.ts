// Idle daemon with 50 policies and 1,000 inventory domains (see idle-daemon-child.ts for what is
// real and what is fake). Targets: ≤ 0.1 CPU s over 60 s of idling, RSS ≤ 120 MiB; and the time
// from a policy-file write to a finished reconcile (median of 10; includes the 500 ms debounce).
// Baseline, in the same run and at the same time: a bare Node process idling 60 s.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, percentile } from './stats.js';

const run = promisify(execFile);
const child = join(dirname(fileURLToPath(import.meta.url)), 'idle-daemon-child.js');
const IDLE_MS = Number(process.env.XENSNAP_BENCH_IDLE_MS ?? 60_000);

const BARE = `const c0 = process.cpuUsage(); setTimeout(() => { const c = process.cpuUsage(c0);
console.log(JSON.stringify({ idleCpuS: (c.user + c.system) / 1e6, rssMiB: process.memoryUsage().rss / 1048576 })); }, ${IDLE_MS});`;

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-idle-bench-'));
  try {
    const [daemon, bare] = await Promise.all([
      run(process.execPath, [child, dir, String(IDLE_MS), '10'], { timeout: IDLE_MS + 120_000, maxBuffer: 64 << 20 }),
      run(process.execPath, ['--input-type=module', '-e', BARE], { timeout: IDLE_MS + 60_000 }),
    ]);
    const d = JSON.parse(daemon.stdout.trim().split('\n').pop()!) as { idleCpuS: number; rssMiB: number; latenciesMs: number[]; runs: number; planMs: number[] };
    const b = JSON.parse(bare.stdout.trim()) as { idleCpuS: number; rssMiB: number };
    const secs = IDLE_MS / 1000;
    console.log(
      `idle daemon (50 policies, 1,000 domains, fake reconciler = real planner): CPU ${d.idleCpuS.toFixed(3)} s over ${secs} s idle ` +
        `(bare node ${b.idleCpuS.toFixed(3)} s; target ≤ 0.1 s: ${d.idleCpuS <= 0.1 ? 'met' : 'NOT met'}), ` +
        `RSS ${d.rssMiB.toFixed(0)} MiB (bare node ${b.rssMiB.toFixed(0)} MiB, ${(d.rssMiB / b.rssMiB).toFixed(1)}×; target ≤ 120 MiB: ${d.rssMiB <= 120 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `policy-file write → finished reconcile: median ${median(d.latenciesMs).toFixed(0)} ms, p90 ${percentile(d.latenciesMs, 90).toFixed(0)} ms ` +
        `(runs ${d.latenciesMs.map((x) => x.toFixed(0)).join(', ')}; 500 ms of it is the debounce, median ${median(d.planMs).toFixed(0)} ms building the synthetic observation + planning)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
