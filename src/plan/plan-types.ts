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
  /** Creates only, when free space was measured and every disk's chain observed: bytes it writes (capacity-estimate.ts). */
  estimate?: CreateEstimate;
  /** Deletes only, when free space was measured and the snapshot's images observed: bytes it is expected to release. */
  frees?: number;
  /**
   * Creates only: how the snapshot will be weaker than the policy asks, known in advance (a
   * live policy on a shut-off domain is made disk-only; no guest agent to quiesce with).
   */
  notes?: string[];
}

/**
 * What a create is expected to write: new metadata or overlays, and for a live snapshot the
 * memory image. `memoryAssumed` is set when the guest's memory size was unknown and a default
 * was counted instead.
 */
export interface CreateEstimate {
  bytes: number;
  memoryAssumed?: true;
}

/**
 * A create the storage guard did not plan. `fs` (free-space only) is the filesystem id; the
 * matching `capacity` finding carries the words.
 */
export interface PlanHeldCreate {
  domain: PlanDomainRef;
  policy: string;
  snapshot: string;
  reason: 'free-space' | 'chain-depth';
  fs?: string;
  /** chain-depth only: the disk whose chain is at the limit. */
  vdev?: string;
}

/**
 * A filesystem as the plan sees it. `limitBytes` = max(minFreeBytes, minFreePercent of total);
 * `createBytes` sums the estimates of the creates planned on it, `freesBytes` the deletes'.
 */
export interface PlanFilesystem {
  id: string;
  mount: string;
  freeBytes: number;
  totalBytes: number;
  limitBytes: number;
  createBytes: number;
  freesBytes: number;
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
  /**
   * The storage guard's view, for views, metrics and status. Present when the observation
   * measured free space or a create was held; filesystems sorted by id, held in plan order.
   */
  capacity?: { filesystems: PlanFilesystem[]; held: PlanHeldCreate[] };
}
