// Planner at fleet scale: 100k and 1M managed snapshots (3 policies, 100 per domain), each
// measured in a child process so the peak RSS is that run's own. Targets: 1M ≤ 3 s and
// ≤ 1.5 GiB; time(1M) / time(100k) ≤ 12.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

interface ChildResult {
  domains: number;
  snapshots: number;
  ms: number[];
  cpuMs: number[];
  rssMiB: number;
  actions: number;
  kept: number;
}

const child = join(dirname(fileURLToPath(import.meta.url)), 'planner-child.js');

function measure(domains: number): ChildResult {
  const out = execFileSync(process.execPath, ['--expose-gc', child, String(domains), '100', '5'], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export default async function (): Promise<void> {
  const small = measure(1_000);
  const large = measure(10_000);
  for (const r of [small, large]) {
    console.log(
      `plan ${r.snapshots} snapshots (${r.domains} domains × 100, 3 policies): median ${median(r.ms).toFixed(0)} ms ` +
        `(runs ${r.ms.map((x) => x.toFixed(0)).join(', ')}; CPU median ${median(r.cpuMs).toFixed(0)} ms), peak RSS ${r.rssMiB.toFixed(0)} MiB, ${r.actions} actions, ${r.kept} kept`,
    );
  }
  const ratio = median(large.ms) / median(small.ms);
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} CPUs (wall times stretch when others run)`);
  const ok = median(large.ms) <= 3000 && large.rssMiB <= 1536 && ratio <= 12;
  console.log(`scaling 100k → 1M: ${ratio.toFixed(1)}× (target ≤ 12×); 1M targets ≤ 3000 ms, ≤ 1536 MiB: ${ok ? 'met' : 'NOT met'}`);
}
