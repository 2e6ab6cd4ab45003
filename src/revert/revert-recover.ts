import type { ClassifiedSteps } from '../apply/classify-steps.js';
import type { RevertOp } from '../apply/journal-ops.js';
import type { PendingOp } from '../apply/pending-work.js';
import { recoverableBackend, type RecoveryDeps } from '../apply/recovery-deps.js';
import { forgetJournal } from '../journal/read-journals.js';
import type { Domain } from '../model/domain.js';
import { describeOutcome, resolveRevert } from './revert-resolve.js';

/**
 * A revert a crash interrupted: resolved to one of its two end states (resolveRevert), then its
 * journal is closed. Needs the hypervisor driver: whether the domain runs decides what may be done.
 */
export async function recoverRevert(p: PendingOp, op: RevertOp, domain: Domain, steps: ClassifiedSteps, deps: RecoveryDeps): Promise<string> {
  if (!deps.driver) throw new Error('an interrupted revert needs the hypervisor driver');
  const outcome = await resolveRevert(op, steps, domain, { stateDir: deps.stateDir, driver: deps.driver, backend: recoverableBackend(deps, op.backend), records: deps.records });
  await forgetJournal(p.file);
  const verb = outcome.state === 'reverted' ? 'finished' : 'rolled back';
  return `${verb}: ${describeOutcome(op, outcome)}${outcome.messages.length ? ` (${outcome.messages.join('; ')})` : ''}`;
}
