// One planner measurement in its own process, so peak RSS is this run's alone.
// argv: DOMAINS SNAPSHOTS_PER_DOMAIN RUNS; prints one JSON line {domains, snapshots, ms[], cpuMs[], rssMiB, actions, kept}.
// cpuMs (user + system, all threads incl. GC helpers) shows the cost when the machine is shared.
import type { Domain } from '../src/model/domain.js';
import type { Observed } from '../src/model/observed.js';
import type { Policy } from '../src/model/policy.js';
import type { ObservedSnapshot } from '../src/model/snapshot.js';
import { plan } from '../src/plan/plan.js';
import { peakRssMiB } from './stats.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-26T04:20:00Z');

function policy(name: string, schedule: string, retention: Policy['retention'], tz: string): Policy {
  return {
    name, description: '', selector: { names: ['vm-*'], uuids: [], exclude: [], states: [] }, disks: null, schedule, timezone: tz,
    mode: 'disk-only', type: 'external', quiesce: 'off', hooks: null, retention, deletionPolicy: 'Retain',
    source: { file: 'bench.yaml', line: 1, col: 1 }, revision: null,
  };
}

/** Three policies; each domain holds `perDomain` snapshots split 60/30/10 between them. */
export function buildInput(domainCount: number, perDomain: number): { policies: Policy[]; observed: Observed } {
  const policies = [
    policy('hourly', '0 * * * *', { keepLast: 3, keepHourly: 24, keepDaily: 7 }, 'Europe/Paris'),
    policy('daily', '30 2 * * *', { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 }, 'America/New_York'),
    policy('weekly', '0 3 * * 1', { keepWeekly: 4, keepMonthly: 6, keepWithinMs: 14 * 24 * HOUR }, 'UTC'),
  ];
  const split: Array<[string, number, number]> = [
    ['hourly', Math.round(perDomain * 0.6), HOUR],
    ['daily', Math.round(perDomain * 0.3), 24 * HOUR],
    ['weekly', perDomain - Math.round(perDomain * 0.6) - Math.round(perDomain * 0.3), 7 * 24 * HOUR],
  ];
  const domains: Observed['domains'] = [];
  const snapshots: ObservedSnapshot[] = [];
  for (let i = 0; i < domainCount; i++) {
    const name = `vm-${String(i).padStart(6, '0')}`;
    const d: Domain = { key: `name-${name}`, uuid: null, name, state: 'running', disks: [{ vdev: 'xvda', path: `/srv/${name}.qcow2`, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };
    domains.push({ domain: d, disks: [] });
    for (const [pol, count, step] of split) {
      // the newest slot is one step back, so every policy is due once per domain
      const last = Math.floor(NOW / step) * step - step;
      for (let k = 0; k < count; k++) {
        const slot = new Date(last - k * step).toISOString();
        const snapName = `${pol}-${slot.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}`;
        const disks = [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk' as const, frozenPath: `/srv/${name}.${snapName}.qcow2` }];
        snapshots.push({
          domainKey: d.key, name: snapName, createdAt: slot, managed: true, type: 'external', disks,
          record: {
            formatVersion: 1, name: snapName, description: '', domain: { uuid: null, name }, createdAt: slot, slot, policy: pol,
            policyRevision: null, deletionPolicy: 'Retain', managedBy: 'xensnap', mode: 'disk-only', type: 'external',
            domainState: 'running', memoryFile: null, pinned: false, disks,
          },
        });
      }
    }
  }
  return { policies, observed: { formatVersion: 1, domains, snapshots, findings: [] } };
}

async function mainChild(): Promise<void> {
  const domains = Number(process.argv[2]);
  const per = Number(process.argv[3]);
  const runs = Number(process.argv[4] ?? 3);
  const input = buildInput(domains, per);
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let actions = 0;
  let kept = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let r = 0; r < runs; r++) {
    gc?.(); // outside the timed part: each run starts from the input alone, as one CLI run would
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const p = plan({ ...input, now: new Date(NOW), limits: { maxDeletes: 1e9, halfGuard: false } });
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    actions = p.actions.length;
    kept = p.kept.length;
  }
  process.stdout.write(`${JSON.stringify({ domains, snapshots: input.observed.snapshots.length, ms, cpuMs, rssMiB: peakRssMiB(), actions, kept })}\n`);
}

if (process.argv[1] && process.argv[1].endsWith('planner-child.js')) await mainChild();
