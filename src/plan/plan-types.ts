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
 * How one disk of a snapshot is deleted, decided on the disk's whole graph so that no other
 * snapshot (foreign, manual or managed) and no data of the leaf changes. Always: `image` is the
 * file holding the snapshot (the frozen image, or the image holding the tag); `bytesToCopy` is
 * what the step moves, `tempBytes` the free space it needs on that image's filesystem before it
 * frees anything (an upper bound); `chainDepthAfter` the disk's chain depth afterwards.
 *  - `delete-tag`: drop an internal snapshot from its image (`via` qemu-img while the image is
 *    not open, QMP on a running domain's active image);
 *  - `remove`: unlink a frozen image that nothing reads through (a side branch's end);
 *  - `stream`: copy F's data into each child that reads through it (`rebase`: qemu-img rebase
 *    of a child with no internal snapshots; `cluster`: native qcow2 merge into every table of a
 *    child that holds internal snapshots; `block-stream`: QMP job on a running domain's chain;
 *    `vhd-stream`: native VHD stream), re-link each child to F's parent, then unlink F;
 *  - `commit`: commit F's only child C into F and move F to C's path (offline qcow2), so that
 *    internal snapshots inside F survive.
 */
export type DiskDeleteStep = DeleteTagStep | RemoveStep | StreamStep | CommitStep;

interface StepCost {
  vdev: string;
  image: string;
  bytesToCopy: number;
  tempBytes: number;
  chainDepthAfter: number;
}

export interface DeleteTagStep extends StepCost {
  method: 'delete-tag';
  tag: string;
  via: 'qemu-img' | 'qmp';
}

export interface RemoveStep extends StepCost {
  method: 'remove';
}

export interface StreamStep extends StepCost {
  method: 'stream';
  /** F's parent, which every child reads through afterwards (null: F is a base). */
  parent: string | null;
  parentFormat: string | null;
  /** Every image that reads through F, and how F's data reaches it. Sorted by path. */
  children: { path: string; how: 'rebase' | 'cluster' | 'block-stream' | 'vhd-stream' }[];
}

export interface CommitStep extends StepCost {
  method: 'commit';
  /** F's only child, whose path the merged image takes. */
  child: string;
  parent: string | null;
}

/**
 * What deleting a snapshot costs and how each disk does it. `method` is the disks' method when
 * they agree, `none` when nothing of the snapshot is left in the images (only its record goes),
 * else `mixed`; `bytesToCopy` and `tempBytes` sum the disks; `chainDepthAfter` is the
 * deepest disk's. `disks` follow the snapshot's disk order.
 */
export interface MergeCost {
  method: DiskDeleteStep['method'] | 'mixed' | 'none';
  bytesToCopy: number;
  tempBytes: number;
  chainDepthAfter: number;
  disks: DiskDeleteStep[];
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
  /** Deletes: how each disk is deleted (decided on the disk's graph); absent when the images were not observed. */
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

/**
 * Why a snapshot stays: retention rule names, or `newest`, `pinned`, `manual`, `foreign`,
 * `orphaned`, `held-back`; `unmergeable` (no delete method keeps the other snapshots exact now)
 * and `capacity` (the merge does not fit the free space) come with `why`.
 */
export interface PlanKept {
  domain: PlanDomainRef;
  policy: string | null;
  snapshot: string;
  /** Never empty. May be shared between entries (frozen): read-only. */
  rules: string[];
  /** For `unmergeable` and `capacity`: in words, e.g. "web-hourly-… reads through it". */
  why?: string;
}

/** A delete the storage guard held: its merge needs more room than its filesystem has free. */
export interface PlanHeldDelete {
  domain: PlanDomainRef;
  policy: string | null;
  snapshot: string;
  fs: string;
  neededBytes: number;
  freeBytes: number;
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
  capacity?: { filesystems: PlanFilesystem[]; held: PlanHeldCreate[]; heldDeletes?: PlanHeldDelete[] };
}
