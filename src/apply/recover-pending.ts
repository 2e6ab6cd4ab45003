import type { Domain } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import type { SnapshotBackend, RecoverableBackend, RecoveryStep } from '../backends/backend.js';
import { readPendingOps, forgetPendingOp, type PendingOp } from './journal.js';

/** What recovery did, one line per interrupted operation, and what it could not resolve. */
export interface RecoveryResult {
  recovered: string[];
  /** Domains whose interrupted work is still open: nothing else may touch them this run. */
  unresolved: { domainKey: string; message: string }[];
}

export interface RecoveryDeps {
  stateDir: string;
  domains: Domain[];
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
  records: {
    exists(stateDir: string, domainKey: string, name: string): Promise<boolean>;
    remove(stateDir: string, domainKey: string, name: string): Promise<void>;
  };
}

function isRecoverable(b: SnapshotBackend): b is RecoverableBackend {
  return typeof (b as Partial<RecoverableBackend>).recover === 'function';
}

const RECORD_STEPS = new Set(['write-record', 'remove-record']);

async function recoverOne(p: PendingOp, deps: RecoveryDeps): Promise<string> {
  const { op } = p;
  const label = `${op.action} of ${op.snapshot} on ${op.domainName}`;
  const domain = deps.domains.find((d) => d.key === op.domainKey);
  if (!domain) throw new Error(`${label}: the domain is not in the inventory; its journal ${p.file} is kept`);
  const recordWritten = await deps.records.exists(deps.stateDir, op.domainKey, op.snapshot);
  const reachedRecord = p.steps.some((s) => RECORD_STEPS.has(s.step));
  if (op.action === 'create' && reachedRecord && recordWritten) {
    await forgetPendingOp(p);
    return `${label}: had finished (record written); journal closed`;
  }
  const backendSteps: RecoveryStep[] = p.steps.filter((s) => !RECORD_STEPS.has(s.step));
  if (op.action === 'delete' && reachedRecord) {
    if (recordWritten) await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
    await forgetPendingOp(p);
    return `${label}: images were already merged; record removed`;
  }
  if (backendSteps.length === 0) {
    await forgetPendingOp(p);
    return `${label}: nothing had started; journal closed`;
  }
  const backend = deps.backends[op.backend === 'blktap' ? 'blktap' : 'qdisk'];
  if (!isRecoverable(backend)) throw new Error(`${label}: the ${backend.name} backend cannot recover this operation; journal ${p.file} is kept`);
  const report = await backend.recover({
    action: op.action === 'delete' ? 'delete' : 'create',
    domain,
    snapshot: op.snapshot,
    type: (op.detail.type as SnapshotType) ?? 'external',
    steps: backendSteps,
  });
  if (op.action === 'delete' && report.outcome === 'finished' && recordWritten) await deps.records.remove(deps.stateDir, op.domainKey, op.snapshot);
  await forgetPendingOp(p);
  return `${label}: ${report.outcome}${report.messages.length ? ` (${report.messages.join('; ')})` : ''}`;
}

/**
 * Runs at the start of every apply and run, under the instance lock: every journal left by an
 * interrupted operation is handed to the backend that wrote it, which rolls creates back and
 * finishes deletes; records follow the images. Idempotent. What cannot be resolved keeps its
 * journal and blocks its domain.
 */
export async function recoverPending(deps: RecoveryDeps): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], unresolved: [] };
  for (const p of await readPendingOps(deps.stateDir)) {
    try {
      result.recovered.push(await recoverOne(p, deps));
    } catch (err) {
      result.unresolved.push({ domainKey: p.op.domainKey, message: (err as Error).message });
    }
  }
  return result;
}
