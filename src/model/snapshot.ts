import type { DomainState, QuiesceMode, SnapshotMode, SnapshotType } from './policy.js';
import type { DiskBackend, DiskFormat } from './domain.js';

/** One disk of a snapshot: an internal tag or an external frozen image. */
export interface SnapshotDiskRecord {
  vdev: string;
  format: DiskFormat;
  backend: DiskBackend;
  /** internal snapshots: the tag in the qcow2 snapshot table. */
  tag?: string;
  /** internal snapshots: the image holding the tag, when it is a frozen image below the leaf. */
  image?: string;
  /** external snapshots: the frozen image path (the old leaf renamed). */
  frozenPath?: string;
}

export const METADATA_FORMAT_VERSION = 1;

/**
 * The metadata record `stateDir/<key>/snapshotdata-<name>.json` (seed-compatible), written
 * atomically with mode 0600. `managedBy` is always `xensnap`; `policy` null means manual.
 * `mode` says what the snapshot is (live only when memory was saved), `quiesced` whether the
 * guest's file systems were frozen for it, `requested` what the policy or `create` asked for;
 * the last two are absent in records written before xensnap recorded them.
 */
export interface SnapshotRecord {
  formatVersion: number;
  name: string;
  description: string;
  domain: { uuid: string | null; name: string };
  createdAt: string; // ISO-8601 UTC
  slot: string | null; // ISO-8601 UTC, policy snapshots only
  policy: string | null;
  policyRevision: string | null;
  deletionPolicy: 'Retain' | 'Delete';
  managedBy: 'xensnap';
  mode: SnapshotMode;
  type: SnapshotType;
  domainState: DomainState;
  memoryFile: string | null;
  pinned: boolean;
  disks: SnapshotDiskRecord[];
  quiesced?: boolean;
  requested?: { mode: SnapshotMode; quiesce: QuiesceMode };
}

/**
 * A snapshot as observation sees it: a managed one carries its record, a foreign one was
 * found only in the images (an internal tag or a chain member with no record).
 */
export interface ObservedSnapshot {
  domainKey: string;
  name: string;
  createdAt: string; // ISO UTC; for foreign snapshots the image's date
  managed: boolean;
  /** The record for managed snapshots. */
  record: SnapshotRecord | null;
  type: SnapshotType;
  disks: SnapshotDiskRecord[];
  /** bytes held by this snapshot alone (external: its frozen file's allocation; internal: estimate). */
  sizeBytes?: number;
}
