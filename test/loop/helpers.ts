import type { HostConfig } from '../../src/model/host-config.js';
import type { Policy } from '../../src/model/policy.js';
import type { ReconcileOptions, ReconcileReport } from '../../src/loop/reconciler.js';
import type { PolicyLoad } from '../../src/loop/policy-source.js';
import type { Logger } from '../../src/loop/logger.js';
import { DEFAULT_LIMITS } from '../../src/model/host-config.js';

export function testConfig(over: Partial<HostConfig> = {}): HostConfig {
  return {
    stateDir: '/nonexistent/state',
    policyDir: '/nonexistent/policies',
    hypervisor: 'qemu',
    xen: { configDir: '/etc/xen', runDir: '/var/run/xen', libDir: '/var/lib/xen' },
    qemu: { inventory: null },
    limits: DEFAULT_LIMITS,
    resyncIntervalMs: 15 * 60_000,
    listen: null,
    hooks: {},
    guestAgents: {},
    source: null,
    ...over,
  };
}

export function testPolicy(name: string, schedule: string, timezone = 'UTC'): Policy {
  return {
    name,
    description: '',
    selector: { names: ['*'], uuids: [], exclude: [], states: ['running', 'paused', 'shutoff'] },
    disks: null,
    schedule,
    timezone,
    mode: 'disk-only',
    type: 'external',
    quiesce: 'off',
    hooks: null,
    retention: { keepLast: 3 },
    deletionPolicy: 'Retain',
    source: { file: `/p/${name}.yaml`, line: 1, col: 1 },
    revision: null,
  };
}

/** A report of a run that did nothing. */
export function emptyReport(opts: ReconcileOptions, startedMs: number, endMs: number): ReconcileReport {
  return {
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(endMs).toISOString(),
    recovered: [],
    skippedDomains: [],
    plan: {
      formatVersion: 1,
      at: opts.now.toISOString(),
      fingerprint: 'f',
      scope: null,
      policies: opts.policies.map((p) => ({ name: p.name, revision: p.revision })),
      actions: [],
      kept: [],
      findings: [],
    },
    results: [],
    heldBack: 0,
    ok: true,
    error: null,
  };
}

/** A fake reconciler recording its calls; each call waits for `release` unless `auto`. */
export class FakeReconciler {
  calls: ReconcileOptions[] = [];
  auto = true;
  private waiting: Array<(r?: Partial<ReconcileReport>) => void> = [];
  constructor(private readonly clock: { now(): number }) {}
  readonly fn = (opts: ReconcileOptions): Promise<ReconcileReport> => {
    this.calls.push(opts);
    const start = this.clock.now();
    if (this.auto) return Promise.resolve(emptyReport(opts, start, this.clock.now()));
    return new Promise((resolve) => {
      this.waiting.push((over) => resolve({ ...emptyReport(opts, start, this.clock.now()), ...over }));
    });
  };
  get inFlight(): number {
    return this.waiting.length;
  }
  release(over?: Partial<ReconcileReport>): void {
    const w = this.waiting.shift();
    if (!w) throw new Error('no reconcile in flight');
    w(over);
  }
}

/** A loader whose next answers the test sets. */
export class FakeLoader {
  calls = 0;
  constructor(public next: PolicyLoad) {}
  readonly fn = async (): Promise<PolicyLoad> => {
    this.calls++;
    return this.next;
  };
}

export const valid = (policies: Policy[], revision: string | null = null): PolicyLoad => ({ policies, diagnostics: [], revision });
export const invalid = (diagnostics: string[], revision: string | null = null): PolicyLoad => ({ policies: [], diagnostics, revision });

/** A logger keeping lines for assertions. */
export function memoryLogger(): Logger & { lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}
