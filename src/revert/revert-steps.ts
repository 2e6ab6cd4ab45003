import type { LiveState } from '../hypervisor/driver.js';
import type { SnapshotType } from '../model/policy.js';
import { hasBooleans, hasNullableStrings, hasObject, hasStrings, isOneOf, type RawStep } from '../journal/step-detail.js';

/**
 * How one disk is brought to the target, decided before anything changes:
 * - `apply-tag`: the tag is in the leaf's own table; `qemu-img snapshot -a` (the pre-revert
 *   snapshot is an internal tag in the same leaf);
 * - `load-tag`: as apply-tag, but QEMU's `snapshot-load` does it while restoring memory;
 * - `tag-leaf`: the tag lives in an image below the leaf (or on a side branch): a fresh leaf over
 *   that image whose content equals the tag; the image holding it is never changed;
 * - `fresh-leaf`: an external snapshot: a fresh, empty leaf over its frozen image.
 */
export type RevertMethod = 'apply-tag' | 'load-tag' | 'tag-leaf' | 'fresh-leaf';
export const REVERT_METHODS: readonly RevertMethod[] = ['apply-tag', 'load-tag', 'tag-leaf', 'fresh-leaf'];

/**
 * One disk of a revert. Always: `tag` is set for the tag methods; `source` is the image the new
 * leaf reads through (tag-leaf: the image holding the tag; fresh-leaf: the frozen image) and null
 * for the in-place methods; `temp` is where the new leaf is built (null for in-place methods).
 */
export interface RevertDiskPlan {
  vdev: string;
  leaf: string;
  format: 'qcow2' | 'vhd';
  method: RevertMethod;
  tag: string | null;
  source: string | null;
  temp: string | null;
  /** tag-leaf: scratch image holding the tag's own clusters while the leaf is built. */
  scratch: string | null;
}

/** Where a revert's memory comes from: a save file, or an internal snapshot's VM state (QEMU). */
export type RevertMemory = { kind: 'file'; file: string } | { kind: 'internal'; tag: string };

/**
 * What a revert's journal begins with: everything its recovery needs besides the steps. Always:
 * `preRevertType` is internal only when every disk's method is apply-tag or load-tag; the
 * pre-revert snapshot keeps the disks exactly as they were before the revert.
 */
export interface RevertOpDetail {
  target: string;
  targetType: SnapshotType;
  preRevert: string;
  preRevertType: SnapshotType;
  stopFirst: boolean;
  stateBefore: LiveState;
  disks: RevertDiskPlan[];
  memory: RevertMemory | null;
  after: LiveState;
}

type Each<N extends string, D> = N extends string ? { step: N; detail: D } : never;

/** Detail of the per-disk steps: the disk's plan (the pre-revert frozen image for external ones). */
export type RevertDiskDetail = RevertDiskPlan & { preFrozen: string | null };

/**
 * The revert's own steps, in order: `stop` (with --stop), `build-leaf` per disk that gets a new
 * leaf (built under `temp`, never published), `pre-revert` around the backend's create of the
 * pre-revert snapshot (its record follows as `record.write`), `switch-disk` per disk, and
 * `restore` for a snapshot with memory.
 */
export type RevertStep =
  | { step: 'revert.stop'; detail: { domain: string; hypervisor: string; stateBefore: LiveState } }
  | Each<'revert.build-leaf' | 'revert.switch-disk', RevertDiskDetail>
  | { step: 'revert.pre-revert'; detail: { snapshot: string; type: SnapshotType } }
  | { step: 'revert.restore'; detail: { domain: string; memory: RevertMemory; paused: boolean } };

const STATES = ['running', 'paused', 'shutoff'];

/** True for a well-formed revert step: a known name and every field its recovery reads. */
export function isRevertStep(s: RawStep): s is RevertStep {
  const d = s.detail;
  switch (s.step) {
    case 'revert.stop': return hasStrings(d, ['domain', 'hypervisor']) && isOneOf(d, 'stateBefore', STATES);
    case 'revert.build-leaf':
    case 'revert.switch-disk': return isDiskPlan(d) && hasNullableStrings(d, ['preFrozen']);
    case 'revert.pre-revert': return hasStrings(d, ['snapshot']) && isOneOf(d, 'type', ['internal', 'external']);
    case 'revert.restore': return hasStrings(d, ['domain']) && hasObject(d, 'memory') && hasBooleans(d, ['paused']);
    default: return false;
  }
}

/** True when `d` has every field of a RevertDiskPlan. */
export function isDiskPlan(d: object): d is RevertDiskPlan {
  return hasStrings(d, ['vdev', 'leaf']) && isOneOf(d, 'format', ['qcow2', 'vhd']) && isOneOf(d, 'method', REVERT_METHODS) && hasNullableStrings(d, ['tag', 'source', 'temp', 'scratch']);
}
