import type { PlanAction } from '../plan/plan-types.js';

/** An action as the executor runs it: a plan action plus what one-off commands add. */
export interface ExecAction extends PlanAction {
  description?: string;
  pin?: boolean;
  /** Set only by `xensnap delete --foreign`: the operator allows deleting a snapshot with no record. */
  foreign?: boolean;
}

export type ActionStatus = 'ok' | 'failed' | 'skipped';

/** One result per action, in the order the actions were given. */
export interface ActionResult {
  action: ExecAction;
  status: ActionStatus;
  /** Error text for failed, the reason for skipped. */
  message: string | null;
  durationMs: number;
}

/** Progress events the views subscribe to. */
export type ExecEvent =
  | { type: 'action-start'; action: ExecAction }
  | { type: 'action-progress'; action: ExecAction; step: string; done: number; total: number }
  | { type: 'action-end'; result: ActionResult };
