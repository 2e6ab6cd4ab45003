import type { Domain } from './domain.js';
import type { ObservedSnapshot } from './snapshot.js';
import type { SkippedDomain } from './skipped-domain.js';

/** One image in a disk's chain, leaf first. */
export interface ChainMember {
  path: string;
  format: string;
  /** Size of the virtual disk in bytes. */
  virtualSize: number;
  /** Bytes allocated on the host file system. */
  allocatedBytes: number;
  /** The backing/parent path as resolved (absolute), or null at the base. */
  backing: string | null;
  /** This image's own internal snapshot table (qcow2), when it has entries. */
  internal?: InternalSnapshotInfo[];
  /** Id of the filesystem holding this image (ObservedFilesystem.id), when free space was measured. */
  fs?: string;
  /** Hard links to the file (st_nlink), when read from the file system. */
  links?: number;
}

/** An internal snapshot found in a qcow2 image's snapshot table. */
export interface InternalSnapshotInfo {
  id: string;
  name: string;
  dateSec: number;
  dateNsec: number;
  vmStateSize: number;
  diskSize: number | null;
}

/**
 * A disk's snapshot graph. `chain` is the current chain, leaf first; `internal` is the leaf's own
 * table (chain[0].internal). `branches` are the other images that read through an image of the
 * chain (side branches left by reverts), each with its `backing`: chain plus branches is every
 * image this disk's snapshots live in. `sharedWith` names the images of this graph that other
 * disks read too (a shared base, or another domain's image built on one of ours).
 */
export interface ObservedDisk {
  vdev: string;
  leaf: string;
  chain: ChainMember[];
  internal: InternalSnapshotInfo[];
  /** Sorted by path; absent when none. */
  branches?: ChainMember[];
  /** Sorted by path; absent when none. */
  sharedWith?: SharedImage[];
}

/** An image of a disk's graph that some other disk also reads (through its chain or a branch). */
export interface SharedImage {
  path: string;
  /** The other readers, sorted: `domain` is the domain name, `vdev` its disk. */
  by: { domain: string; vdev: string }[];
}

/**
 * Where observation looked for images that read through a disk's images: the directories of
 * every chain member and recorded frozen image on the host. An image elsewhere (another
 * directory, another host sharing the storage) that reads through one of them is not seen.
 * `unreadable` lists files there that look like images but could not be read: they might read
 * through anything in their directory.
 */
export interface ObservedScan {
  dirs: string[];
  unreadable: { path: string; message: string }[];
}

export type FindingKind =
  | 'drift-missing-image' // a record whose tag or frozen file is gone
  | 'drift-unrecorded' // an image snapshot or chain member with no record
  | 'corrupt-record'
  | 'corrupt-image'
  | 'chain-error'
  | 'unsnapshotable'
  | 'orphaned'
  | 'held-back'
  | 'skipped'
  | 'capacity'
  | 'unmergeable' // retention would delete a snapshot, but no method keeps every other snapshot exact now
  | 'blocked' // a due create apply would certainly refuse (plan/preflight-create.ts): no action
  | 'deselected' // a live policy's selector no longer matches a domain that has its snapshots
  | 'info';

/** A finding: something an operator should read. Never a reason to crash. */
export interface Finding {
  kind: FindingKind;
  domain: { uuid: string | null; name: string } | null;
  message: string;
}

export interface ObservedDomain {
  domain: Domain;
  disks: ObservedDisk[];
  /** Guest memory in bytes when known (a live snapshot's memory image is about this size). */
  memoryBytes?: number;
}

/**
 * A filesystem holding a leaf, a frozen image or the state dir, measured by statfs. `id` is
 * the device as `major:minor` (from stat().dev), unique per filesystem; `mount` its mount point
 * from /proc/self/mountinfo (the id when unknown). Always 0 ≤ freeBytes ≤ totalBytes.
 */
export interface ObservedFilesystem {
  id: string;
  mount: string;
  /** Bytes available to unprivileged writers (f_bavail × f_bsize). */
  freeBytes: number;
  totalBytes: number;
  /** Up to 8 of the observed paths on it, sorted (leaves, frozen images, the state dir). */
  paths: string[];
}

/** The host's storage limits (host config `limits`) as observation recorded them. */
export interface CapacityLimits {
  minFreePercent: number;
  minFreeBytes: number;
  maxChainDepth: number;
}

/** Everything observation found. Pure data; serialisable as JSON. */
export interface Observed {
  formatVersion: number;
  domains: ObservedDomain[];
  snapshots: ObservedSnapshot[];
  findings: Finding[];
  /** Filesystems measured (sorted by id); absent when free space was not measured. */
  filesystems?: ObservedFilesystem[];
  /** The state dir and the id of its filesystem (live memory images go there). */
  stateDir?: { path: string; fs: string };
  /** The host's storage limits when observed; plan() uses them unless PlanLimits overrides. */
  limits?: CapacityLimits;
  /** Where side branches and other readers were looked for; absent in older exports. */
  scan?: ObservedScan;
  /**
   * Domains known by name that nothing may change this run (model/skipped-domain.ts). plan()
   * never plans one, even when it is also in `domains` (a journal cause). Absent: none known.
   */
  skipped?: SkippedDomain[];
  /**
   * The guest agent the host config names for each domain (by domain key), and whether its
   * socket exists; a domain without an entry has none. Absent when not observed (exports from
   * older versions, synthetic inputs): the planner then assumes nothing about agents.
   */
  guestAgents?: Record<string, GuestAgentFact>;
}

/** A domain's guest agent as observation found it: the configured socket, and whether it exists. */
export interface GuestAgentFact {
  socket: string;
  present: boolean;
}
