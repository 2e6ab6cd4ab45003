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
  /** Error text for failed, the reason for skipped; for ok, what is worth knowing (pause window). */
  message: string | null;
  /**
   * ok creates only: how the snapshot is weaker than asked (not quiesced, disk-only instead of
   * live) or what went wrong on the way (a thaw that needed a retry). Views show each one as a
   * warning; the daemon logs them at warn level and keeps them in its status.
   */
  warnings?: string[];
  durationMs: number;
}

/** Progress events the views subscribe to. */
export type ExecEvent =
  | { type: 'action-start'; action: ExecAction }
  | { type: 'action-progress'; action: ExecAction; step: string; done: number; total: number }
  | { type: 'action-end'; result: ActionResult };
