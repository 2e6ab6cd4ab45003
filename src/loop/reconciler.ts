import type { HostConfig } from '../model/host-config.js';
import type { Policy } from '../model/policy.js';

export type { ReconcileReport } from '../apply/reconcile-once.js';
import type { ReconcileReport } from '../apply/reconcile-once.js';

export interface ReconcileOptions {
  config: HostConfig;
  policies: Policy[];
  now: Date;
  /** Aborted on stop: the executor finishes or rolls back its current backend step. */
  signal?: AbortSignal;
  onEvent?: (e: unknown) => void;
}

/** One reconcile: recover, observe, plan, apply. The loop never does these itself. */
export type Reconciler = (opts: ReconcileOptions) => Promise<ReconcileReport>;
