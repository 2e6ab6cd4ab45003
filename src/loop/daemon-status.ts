import type { LoopState, TriggerReason } from './loop-state.js';
import type { SkippedDomain } from '../apply/unresolved-work.js';

export const STATUS_FORMAT_VERSION = 1;
export const STATUS_FILE = '.status.json';

/** How a run ended: `skipped` when no valid policy set was ever loaded (nothing applied). */
export type RunResult = 'ok' | 'failed' | 'error' | 'skipped';

/** One finished run. `actions` counts results; `message` says why for failed/error/skipped. */
export interface RunSummary {
  at: string;
  finishedAt: string;
  result: RunResult;
  durationMs: number;
  triggers: TriggerReason[];
  actions: { ok: number; failed: number; skipped: number };
  heldBack: number;
  recovered: number;
  /** Domains skipped for unresolved work, with reason and journal file (see `xensnap recover`). */
  skippedDomains: SkippedDomain[];
  message: string | null;
  /**
   * Snapshots made weaker than asked (not quiesced, disk-only instead of live), one line each:
   * `DOMAIN/SNAPSHOT: warning`. Absent in status files of older versions.
   */
  warnings?: string[];
}

/**
 * The daemon's status file (`stateDir/.status.json`), rewritten atomically after each run and
 * state change. `lastErrors` is newest first, at most MAX_LAST_ERRORS.
 */
export interface DaemonStatus {
  formatVersion: 1;
  state: LoopState;
  pid: number;
  started: string;
  updatedAt: string;
  lastRun: RunSummary | null;
  lastSuccessAt: string | null;
  nextWake: { at: string; reason: 'slot' | 'resync'; policy: string | null } | null;
  policySet: {
    valid: boolean;
    count: number;
    revision: string | null;
    diagnostics: string[];
    inForce: { count: number; revision: string | null; loadedAt: string } | null;
  };
  lastErrors: Array<{ at: string; message: string }>;
}

export const MAX_LAST_ERRORS = 10;
