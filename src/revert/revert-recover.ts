import type { ClassifiedSteps } from '../apply/classify-steps.js';
import type { RevertOp } from '../apply/journal-ops.js';
import type { PendingOp } from '../apply/pending-work.js';
import type { RecoveryDeps } from '../apply/recovery-deps.js';
import type { Domain } from '../model/domain.js';

/** Placeholder: replaced in the revert commit. */
export async function recoverRevert(_p: PendingOp, _op: RevertOp, _domain: Domain, _steps: ClassifiedSteps, _deps: RecoveryDeps): Promise<string> {
  throw new Error('revert recovery is not implemented yet');
}
