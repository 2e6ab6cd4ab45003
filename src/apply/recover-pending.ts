import { unknownVariant } from '../journal/unknown-variant.js';
import { recoverRevert } from '../revert/revert-recover.js';
import { classifySteps } from './classify-steps.js';
import { loadPendingWork, type PendingOp } from './pending-work.js';
import { recoverCreate } from './recover-create.js';
import { recoverDelete } from './recover-delete.js';
import type { RecoveryDeps } from './recovery-deps.js';
import { operationWords, reasonOf, type UnresolvedWork } from './unresolved-work.js';

export type { RecoveryDeps } from './recovery-deps.js';

/** What recovery did, one line per interrupted operation, and what it could not resolve. */
export interface RecoveryResult {
  recovered: string[];
  /** Work still open: its domains may not be touched this run (see UnresolvedWork). */
  unresolved: UnresolvedWork[];
}

/** Recovers one typed operation with the recovery of its kind; returns what was done. */
async function recoverOne(p: PendingOp, deps: RecoveryDeps): Promise<string> {
  const { op } = p;
  const domain = deps.domains.find((d) => d.key === op.domainKey);
  if (!domain) throw new Error(`domain ${op.domainName} (${op.domainKey}) is not in the inventory`);
  const steps = classifySteps(op, p.steps, p.file); // every step checked before anything is touched
  switch (op.action) {
    case 'create': return recoverCreate(p, op, domain, steps, deps);
    case 'delete': return recoverDelete(p, op, domain, steps, deps);
    case 'revert': return recoverRevert(p, op, domain, steps, deps);
    default: return unknownVariant(op, 'operation', p.file);
  }
}

/**
 * Runs at the start of every changing command, under the instance lock: every journal left by an
 * interrupted operation is recovered by the recovery of its kind — creates rolled back (or rolled
 * forward once the backend had confirmed, or kept and recorded when undoing would lose guest
 * writes), deletes finished, reverts rolled back or finished. Idempotent: a journal is removed
 * only once its work is resolved. What cannot be resolved — including a journal that cannot be
 * trusted (unreadable, another version, an unknown operation or step) — keeps its file and
 * blocks its domain. `only` limits recovery to one domain's journals (`xensnap recover DOMAIN`).
 */
export async function recoverPending(deps: RecoveryDeps, opts: { only?: string } = {}): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], unresolved: [] };
  const { pending, broken } = await loadPendingWork(deps.stateDir);
  result.unresolved.push(...broken.filter((b) => !opts.only || b.domainKey === opts.only || b.domainKey === null));
  for (const p of pending) {
    if (opts.only && p.op.domainKey !== opts.only) continue;
    const label = `${operationWords(p.op.action, p.op.snapshot)} on ${p.op.domainName}`;
    try {
      result.recovered.push(`${label}: ${await recoverOne(p, deps)}`);
    } catch (err) {
      result.unresolved.push({ journal: p.file, domainKey: p.op.domainKey, domainName: p.op.domainName, operation: operationWords(p.op.action, p.op.snapshot), reason: reasonOf(err, p.file) });
    }
  }
  return result;
}
