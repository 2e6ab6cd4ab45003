import type { Finding } from '../model/observed.js';
import type { SnapshotMode, SnapshotType } from '../model/policy.js';

export const PLAN_FORMAT_VERSION = 1;

/** A domain as a plan names it. `key` is the state-folder key (UUID or `name-<name>`). */
export interface PlanDomainRef {
  key: string;
  uuid: string | null;
  name: string;
}

/**
 * Estimated cost of merging an external snapshot away: `stream` copies the frozen image into
 * its child, `commit` copies the child into the frozen image; the cheaper is shown. Bytes are
 * the allocated bytes of the side copied, summed over disks; `chainDepthAfter` is the longest
 * chain of the domain's affected disks after the merge.
 */
export interface MergeCost {
  method: 'commit' | 'stream';
  bytesToCopy: number;
  chainDepthAfter: number;
}

/**
 * One thing apply will do. Always: `reason` says why in words an operator can check; a delete
 * is never of a foreign snapshot; `slot` is the ISO UTC slot for policy snapshots, else null.
 */
export interface PlanAction {
  action: 'create' | 'delete';
  domain: PlanDomainRef;
  /** The policy that owns the snapshot; null for a manual snapshot. */
  policy: string | null;
  snapshot: string;
  slot: string | null;
  mode: SnapshotMode;
  type: SnapshotType;
  /** vdevs involved. May be shared between actions (frozen): read-only. */
  disks: string[];
  reason: string;
  /** External deletes only, when the chain was observed. */
  merge?: MergeCost;
}

/** Why a snapshot stays: retention rule names, or `newest`, `pinned`, `manual`, `foreign`, `orphaned`, `held-back`. */
export interface PlanKept {
  domain: PlanDomainRef;
  policy: string | null;
  snapshot: string;
  /** Never empty. May be shared between entries (frozen): read-only. */
  rules: string[];
}

/**
 * The plan: pure data, versioned. Always sorted by domain name (then key), policy, snapshot;
 * `kept` plus deletes are exactly the observed snapshots of the planned domains.
 */
export interface Plan {
  formatVersion: 1;
  /** The `now` the plan was made for, ISO UTC. */
  at: string;
  /** sha256 (hex) of the observed state the plan depends on; see fingerprintObserved. */
  fingerprint: string;
  /** Domain keys planned, sorted; null when every observed domain was. */
  scope: string[] | null;
  policies: Array<{ name: string; revision: string | null }>;
  actions: PlanAction[];
  kept: PlanKept[];
  findings: Finding[];
}
