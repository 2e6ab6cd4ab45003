// The idle daemon, measured in its own process. argv: WORKDIR IDLE_MS SAMPLES.
// Real: policy loading (50 policy files), chokidar watch, /metrics listener, timers, status file.
// Fake: the reconciler — it runs the real planner over a synthetic observation of 1,000
// domains (10 managed snapshots each, no image files) instead of recover/observe/apply, so the
// figures are the loop's own cost plus planning, without QEMU.
// Prints one JSON line: {idleCpuS, rssMiB, latenciesMs[], runs}.
import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDaemon } from '../src/loop/run-daemon.js';
import { policyDirLoader } from '../src/loop/policy-source.js';
import { realTimers } from '../src/loop/timers.js';
import { createLogger } from '../src/loop/logger.js';
import type { ReconcileLoop } from '../src/loop/reconcile-loop.js';
import type { Reconciler } from '../src/loop/reconciler.js';
import { DEFAULT_LIMITS } from '../src/model/host-config.js';
import { plan } from '../src/plan/plan.js';
import { buildInput } from './planner-child.js';

const [dir = '/tmp/xensnap-idle', idleArg = '60000', samplesArg = '10'] = process.argv.slice(2);
const IDLE_MS = Number(idleArg);
const SAMPLES = Number(samplesArg);
const POLICIES = 50;
const DOMAINS = 1000;

// schedules that cannot fire during the measurement: daily, six hours from now
const hour = (new Date().getUTCHours() + 6) % 24;
const policyText = (i: number, note: string) => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: bench-${i}
  description: idle bench policy ${i} ${note}
spec:
  selector: { names: ["vm-0000${String(i % 10)}*"] }
  schedule: "${i % 60} ${hour} * * *"
  mode: disk-only
  type: external
  retention: { keepDaily: 7, keepWeekly: 4 }
`;

const policyDir = join(dir, 'policies');
await mkdir(policyDir, { recursive: true });
for (let i = 0; i < POLICIES; i++) await writeFile(join(policyDir, `bench-${i}.yaml`), policyText(i, ''));

// built afresh per run and dropped after it, as a real run re-observes the host
function observe() {
  const { observed } = buildInput(DOMAINS, 10);
  for (const d of observed.domains) d.domain.state = 'shutoff';
  return observed;
}
let runs = 0;
const phases: number[] = [];
let onFinish: (() => void) | null = null;
const reconciler: Reconciler = async (opts) => {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const p = plan({ policies: opts.policies, observed: observe(), now: opts.now, limits: { maxDeletes: 50 } });
  phases.push(performance.now() - t0);
  runs++;
  const report = { startedAt, finishedAt: new Date().toISOString(), recovered: [], plan: p, results: [], heldBack: 0, skippedDomains: [], ok: true, error: null };
  queueMicrotask(() => onFinish?.());
  return report;
};

const signals = new EventEmitter();
let loop!: ReconcileLoop;
const up = new Promise<void>((r) => {
  void runDaemon({
    config: {
      stateDir: join(dir, 'state'), policyDir, hypervisor: 'qemu', xen: { configDir: '/etc/xen', runDir: '/run/xen', libDir: '/var/lib/xen' }, qemu: { inventory: null },
      limits: DEFAULT_LIMITS, resyncIntervalMs: 15 * 60_000, listen: '127.0.0.1:0', hooks: {}, guestAgents: {}, source: null,
    },
    reconciler,
    loadPolicies: policyDirLoader(),
    log: createLogger(process.stderr, { json: true }),
    timers: realTimers(),
    signals,
    onReady: (info) => {
      loop = info.loop;
      r();
    },
  }).then((code) => process.exit(code));
});
await up;
await loop.settled();
await new Promise((r) => setTimeout(r, 1000)); // let the startup burst (GC, JIT) settle
globalThis.gc?.();

const c0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, IDLE_MS));
const c = process.cpuUsage(c0);
const idleCpuS = (c.user + c.system) / 1e6;
const rssMiB = process.memoryUsage().rss / 1024 / 1024;

const latenciesMs: number[] = [];
for (let k = 0; k < SAMPLES; k++) {
  const done = new Promise<void>((r) => (onFinish = r));
  const t0 = performance.now();
  await writeFile(join(policyDir, 'bench-0.yaml'), policyText(0, `edit ${k}`));
  await done;
  latenciesMs.push(performance.now() - t0);
  onFinish = null;
  await new Promise((r) => setTimeout(r, 200));
}
console.log(JSON.stringify({ idleCpuS, rssMiB, latenciesMs, runs, planMs: phases.slice(-SAMPLES) }));
signals.emit('SIGTERM');
