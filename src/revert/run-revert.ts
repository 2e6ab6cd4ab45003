import type { RevertOp } from '../apply/journal-ops.js';
import type { RecoverableBackend, SnapshotBackend } from '../backends/backend.js';
import { BackendError } from '../errors.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import { OperationJournal } from '../journal/operation-journal.js';
import type { Domain } from '../model/domain.js';
import type { RevertResolveDeps } from './revert-resolve.js';
import { describeOutcome } from './revert-resolve.js';
import { revertDomain } from './revert-domain.js';
import type { RevertPlan } from './revert-plan.js';

/** The journal operation of a checked plan. */
export function revertOp(plan: RevertPlan, domain: Domain, backend: 'qdisk' | 'blktap'): RevertOp {
  const { domain: _name, refusal: _r, notes: _n, ...detail } = plan;
  return { action: 'revert', domainKey: domain.key, domainName: domain.name, snapshot: plan.target, backend, detail };
}

/** How a revert ended, in the operator's words; `ok` only when the domain is fully reverted without error. */
export interface RevertReport {
  ok: boolean;
  text: string;
}

/**
 * Runs a checked revert under its own journal. The journal is ended once the domain is in one
 * of the two end states; if even the rollback fails it is kept, and the error says that the next
 * apply, run or `xensnap recover` finishes it.
 */
export async function runRevert(
  plan: RevertPlan,
  domain: Domain,
  deps: { driver: HypervisorDriver; backends: Record<'qdisk' | 'blktap', SnapshotBackend>; stateDir: string; records: RevertResolveDeps['records']; now: Date },
): Promise<RevertReport> {
  const name = domain.disks.find((d) => d.vdev === plan.disks[0]?.vdev)?.backend === 'tap' ? 'blktap' : 'qdisk';
  const backend = deps.backends[name] as RecoverableBackend;
  if (typeof backend.recover !== 'function') throw new BackendError(`the ${name} backend cannot recover a revert`);
  const op = revertOp(plan, domain, name);
  const journal = await OperationJournal.begin(deps.stateDir, op);
  let outcome;
  try {
    outcome = await revertDomain(op, domain, { driver: deps.driver, backend, stateDir: deps.stateDir, records: deps.records, journal, now: deps.now });
  } catch (err) {
    await journal.abandon();
    throw Object.assign(
      new BackendError(`revert of ${domain.name} to ${plan.target} failed and could not be undone: ${(err as Error).message}; its journal ${journal.file} is kept: the next apply, run or \`xensnap recover ${domain.name}\` finishes it`),
      { needsRecovery: true },
    );
  }
  await journal.end();
  const state = describeOutcome(op, outcome);
  if (outcome.error) return { ok: false, text: `revert of ${domain.name} to ${plan.target} failed: ${outcome.error.message}\n${state}\n` };
  return { ok: true, text: `reverted ${domain.name} to ${plan.target}; the previous state is snapshot ${plan.preRevert}; ${domain.name} is ${outcome.domainState === 'shutoff' ? 'shut off' : outcome.domainState}\n` };
}
