// Runs a revert the way the CLI does (locate, plan, checks, journaled run) on test domains.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotBackend } from '../../src/backends/backend.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { Domain } from '../../src/model/domain.js';
import { recordStore } from '../../src/apply/reconcile-once.js';
import { locateTarget, type KnownImages } from '../../src/revert/locate-target.js';
import { planRevert, type RevertPlan, type RevertTarget } from '../../src/revert/revert-plan.js';
import { revertRefusals } from '../../src/revert/revert-checks.js';
import { runRevert, type RevertReport } from '../../src/revert/run-revert.js';

export interface RevertRun {
  plan: RevertPlan;
  report: RevertReport;
  /** The step labels the revert journaled, in order (XENSNAP_TEST_TRACE_STEPS). */
  trace: string[];
}

/** Plans and checks the revert; throws the refusal when there is one. */
export async function checkedPlan(domain: Domain, target: RevertTarget, o: { driver: HypervisorDriver; stateDir: string; stop?: boolean; paused?: boolean; now: Date; known?: KnownImages }): Promise<RevertPlan> {
  const live = await o.driver.status(domain);
  const { located, problems } = await locateTarget(domain, target, o.known ?? new Map());
  const plan = planRevert({ domain, live, target, located, problems, stop: o.stop ?? false, paused: o.paused ?? false, now: o.now, hypervisor: o.driver.kind });
  if (!plan.refusal) plan.refusal = (await revertRefusals(plan, domain, { stateDir: o.stateDir, canRestoreMemory: null }))[0] ?? null;
  return plan;
}

/** A checked, journaled revert; asserts the plan is not refused. */
export async function revertNow(domain: Domain, target: RevertTarget, o: { driver: HypervisorDriver; backend: SnapshotBackend; stateDir: string; stop?: boolean; paused?: boolean; now: Date; known?: KnownImages }): Promise<RevertRun> {
  const plan = await checkedPlan(domain, target, o);
  assert.equal(plan.refusal, null);
  const traceFile = join(o.stateDir, `..`, `trace-${process.pid}.txt`);
  process.env.XENSNAP_TEST_TRACE_STEPS = traceFile;
  let report: RevertReport;
  try {
    report = await runRevert(plan, domain, { driver: o.driver, backends: { qdisk: o.backend, blktap: o.backend }, stateDir: o.stateDir, records: recordStore, now: o.now });
  } finally {
    delete process.env.XENSNAP_TEST_TRACE_STEPS;
  }
  const trace = (await readFile(traceFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  await rm(traceFile, { force: true });
  return { plan, report, trace };
}
