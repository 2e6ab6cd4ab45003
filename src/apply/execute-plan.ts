import type { Domain } from '../model/domain.js';
import type { Policy } from '../model/policy.js';
import type { HookProfile } from '../model/host-config.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { SnapshotBackend } from '../backends/backend.js';
import type { ActionResult, ExecAction, ExecEvent } from './execute-types.js';
import { runAction, type ActionDeps } from './run-action.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { RecordStore } from '../state/record-store.js';

export interface ExecuteDeps {
  stateDir: string;
  domains: Domain[];
  /** Observed snapshots, for the disk records of deletes. */
  snapshots: ObservedSnapshot[];
  policies: Policy[];
  backends: Record<'qdisk' | 'blktap', SnapshotBackend>;
  concurrency: number;
  now: () => Date;
  /** The host config's hook profiles (run around creates of policies that name one). */
  hooks?: Record<string, HookProfile>;
  /** The hypervisor driver, for live snapshots and quiesce. */
  driver?: HypervisorDriver;
  onEvent?: (e: ExecEvent) => void;
  /** Once aborted, no further action starts (the one running finishes or rolls back). */
  signal?: AbortSignal;
  /** Writes and deletes snapshot records (the metadata store). */
  records: Pick<RecordStore, 'write' | 'remove'>;
}

/**
 * Runs exactly the given actions, never re-planning. Per domain: creates first, then deletes —
 * none if a create of that domain failed. Domains run with bounded concurrency; one domain's
 * failure never stops another. Returns one result per action, in input order.
 */
export async function executePlan(actions: ExecAction[], deps: ExecuteDeps): Promise<ActionResult[]> {
  const results = new Map<ExecAction, ActionResult>();
  const byDomain = new Map<string, ExecAction[]>();
  for (const a of actions) byDomain.set(a.domain.key, [...(byDomain.get(a.domain.key) ?? []), a]);
  const queue = [...byDomain.entries()];
  const actionDeps: ActionDeps = deps;

  const emit = (r: ActionResult) => {
    results.set(r.action, r);
    deps.onEvent?.({ type: 'action-end', result: r });
  };

  async function runDomain(key: string, list: ExecAction[]) {
    const domain = deps.domains.find((d) => d.key === key);
    const creates = list.filter((a) => a.action === 'create');
    const deletes = list.filter((a) => a.action === 'delete');
    let createFailed = false;
    for (const a of [...creates, ...deletes]) {
      if (!domain) {
        emit({ action: a, status: 'failed', message: `domain ${a.domain.name} (${key}) is no longer in the inventory`, durationMs: 0 });
        continue;
      }
      if (deps.signal?.aborted) {
        emit({ action: a, status: 'skipped', message: 'stopping: not started', durationMs: 0 });
        continue;
      }
      if (a.action === 'delete' && createFailed) {
        emit({ action: a, status: 'skipped', message: 'a create of this domain failed in this run', durationMs: 0 });
        continue;
      }
      deps.onEvent?.({ type: 'action-start', action: a });
      const r = await runAction(a, domain, actionDeps);
      if (a.action === 'create' && r.status !== 'ok') createFailed = true;
      emit(r);
    }
  }

  const workers = Array.from({ length: Math.max(1, deps.concurrency) }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await runDomain(item[0], item[1]);
  });
  await Promise.all(workers);
  return actions.map((a) => results.get(a)!);
}
