import type { HostConfig } from '../model/host-config.js';
import type { Policy } from '../model/policy.js';
import type { Plan } from '../plan/plan-types.js';
import type { ActionResult } from '../apply/execute-types.js';

/** What one reconcile reports (the shape of src/apply/reconcile-once.ts). */
export interface ReconcileReport {
  startedAt: string;
  finishedAt: string;
  /** Journal entries recovered before observing. */
  recovered: string[];
  plan: Plan;
  results: ActionResult[];
  /** Deletes held back by the limits. */
  heldBack: number;
  ok: boolean;
  error: string | null;
}

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
