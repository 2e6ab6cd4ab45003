import type { Logger } from './logger.js';
import type { ExecEvent } from '../apply/execute-types.js';

/** Logs the executor's action ends (one line per action); other events stay quiet. */
export function logExecEvent(log: Logger, e: unknown): void {
  const ev = e as ExecEvent | null;
  if (!ev || typeof ev !== 'object' || ev.type !== 'action-end') return;
  const r = ev.result;
  const fields = { action: r.action.action, domain: r.action.domain.name, snapshot: r.action.snapshot, policy: r.action.policy, status: r.status, durationMs: Math.round(r.durationMs), message: r.message ?? undefined, warnings: r.warnings };
  if (r.status === 'failed') log.error('action failed', fields);
  else if (r.warnings?.length) log.warn(`action ${r.status} with warnings: ${r.warnings.join('; ')}`, fields);
  else log.info(`action ${r.status}`, fields);
}
