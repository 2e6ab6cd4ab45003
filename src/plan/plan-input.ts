import type { Domain } from '../model/domain.js';
import type { Observed } from '../model/observed.js';
import type { Policy } from '../model/policy.js';
import type { RefusalFn } from './snapshotability.js';

/** Limits on one run's deletions. */
export interface PlanLimits {
  /** Deletes beyond this many in the run are held back. */
  maxDeletes: number;
  /**
   * Hold back every delete of a domain that would remove more than half of its managed
   * snapshots (counting the ones created in the run). Default true.
   */
  halfGuard?: boolean;
  /** Storage guard; each defaults to `observed.limits`, then to DEFAULT_LIMITS (10, 0, 30). */
  minFreePercent?: number;
  minFreeBytes?: number;
  maxChainDepth?: number;
}

/** Everything plan() reads. Nothing else: no clock, no files, no processes. */
export interface PlanInput {
  policies: Policy[];
  /** Domains to plan; default every domain of `observed.domains`. Skipped ones are never planned. */
  domains?: Domain[];
  /**
   * Instead of `domains`: plan the observed domains of these names (`plan --domain`); a name
   * `observed.skipped` holds gets its skipped finding in the plan.
   */
  domainNames?: string[];
  observed: Observed;
  now: Date;
  limits: PlanLimits;
  /** The snapshotability table; default the one the backends enforce (snapshotability.ts). */
  refusal?: RefusalFn;
}
