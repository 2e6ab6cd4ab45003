import type { Disk, Domain } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import type { DiskDeleteStep } from '../plan/plan-types.js';

/**
 * The journal's view of an operation. `intent` is awaited BEFORE each named step (write-ahead:
 * when it returns, the intent is durable) and `done` after the step succeeded. `detail` holds
 * whatever recovery needs to finish or roll back that step (paths, node names). Step names
 * follow src/journal/step-names.ts: `<owner>.<step>`, with `detail.vdev` on per-disk steps.
 */
export interface StepJournal {
  intent(step: string, detail: object): Promise<void>;
  done(step: string): Promise<void>;
}

/**
 * The journal as one owner of steps writes it: only the owner's own steps (`S`, its tagged
 * union), each with its own detail type. Any StepJournal is one.
 */
export interface OwnedStepJournal<S extends { step: string; detail: object }> {
  intent<N extends S['step']>(step: N, detail: Extract<S, { step: N }>['detail']): Promise<void>;
  done(step: S['step']): Promise<void>;
}

/** A journal that records nothing (tests, dry runs). */
export const noJournal: StepJournal = {
  async intent() {},
  async done() {},
};

export interface Progress {
  (event: { step: string; done: number; total: number }): void;
}

export interface CreateRequest {
  domain: Domain;
  /** The disks to snapshot, all in one atomic operation. */
  disks: Disk[];
  snapshot: string;
  type: SnapshotType;
}

export interface DeleteRequest {
  domain: Domain;
  snapshot: string;
  type: SnapshotType;
  /** What the snapshot's record (or observation, for foreign ones) says about each disk. */
  disks: SnapshotDiskRecord[];
  /**
   * The plan's per-disk steps (decided on the graph); the backend checks each is still safe and
   * runs exactly it. A disk without one is decided by the backend the same way.
   */
  steps?: DiskDeleteStep[];
}

/**
 * A disk-snapshot backend (qdisk or blktap). It works on a shut-off domain through files and on
 * a running or paused domain only through its live interface. Every create is atomic over
 * `disks`: all or nothing, and nothing left behind on failure.
 */
export interface SnapshotBackend {
  readonly name: 'qdisk' | 'blktap';
  /** null when this backend can snapshot the disk with this type; otherwise the reason. */
  refusal(disk: Disk, type: SnapshotType): string | null;
  create(req: CreateRequest, journal: StepJournal, progress?: Progress): Promise<SnapshotDiskRecord[]>;
  delete(req: DeleteRequest, journal: StepJournal, progress?: Progress): Promise<void>;
}

export { frozenImagePath } from '../model/frozen-image-path.js';

/**
 * One journaled step handed back to the backend that wrote it; `done` false = was in flight.
 * Recovery has checked it with the backend's own step guard before handing it over.
 */
export interface RecoveryStep {
  step: string;
  detail: Record<string, unknown>;
  done: boolean;
}

/** An operation a crash interrupted, as recovery hands it to the backend that ran it. */
export interface RecoveryRequest {
  action: 'create' | 'delete';
  domain: Domain;
  snapshot: string;
  type: SnapshotType;
  steps: RecoveryStep[];
}

/**
 * What recovery did: creates are rolled back (or 'kept' when undoing would lose guest writes),
 * deletes are finished. Recovery is idempotent: a second run reports 'nothing-to-do'.
 */
export interface RecoveryReport {
  outcome: 'rolled-back' | 'finished' | 'kept' | 'nothing-to-do';
  messages: string[];
}

/** A backend that can finish or undo its own interrupted operations. */
export interface RecoverableBackend extends SnapshotBackend {
  recover(req: RecoveryRequest): Promise<RecoveryReport>;
}
