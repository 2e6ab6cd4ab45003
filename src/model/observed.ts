import type { Domain } from './domain.js';
import type { ObservedSnapshot } from './snapshot.js';

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

/** A disk's chain, leaf first. `internal` is the leaf's own table (chain[0].internal). */
export interface ObservedDisk {
  vdev: string;
  leaf: string;
  chain: ChainMember[];
  internal: InternalSnapshotInfo[];
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
}

/** Everything observation found. Pure data; serialisable as JSON. */
export interface Observed {
  formatVersion: number;
  domains: ObservedDomain[];
  snapshots: ObservedSnapshot[];
  findings: Finding[];
}
