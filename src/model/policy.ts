/** Where a value came from in a policy or config file (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export type DomainState = 'running' | 'paused' | 'shutoff';
export type SnapshotMode = 'disk-only' | 'live';
export type SnapshotType = 'internal' | 'external';
/** `false` → off, `true` → preferred (crash-consistent fallback), `required` → skip without agent. */
export type QuiesceMode = 'off' | 'preferred' | 'required';
export type DeletionPolicy = 'Retain' | 'Delete';

/** Retention rules of a policy. At least one is set; counts are whole numbers ≥ 0. */
export interface Retention {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** keepWithin as milliseconds (from a duration like `2h`). */
  keepWithinMs?: number;
}

export interface Selector {
  names: string[];
  uuids: string[];
  exclude: string[];
  states: DomainState[];
}

/**
 * A validated, normalised snapshot policy. Every default is filled in; nothing downstream
 * sees YAML. Always holds: `name` matches [a-z0-9][a-z0-9-]{0,40}, `schedule` is a valid
 * 5-field cron, `timezone` a valid IANA zone, retention has at least one rule.
 */
export interface Policy {
  name: string;
  description: string;
  selector: Selector;
  /** vdevs to snapshot; null means every disk of the domain. */
  disks: string[] | null;
  schedule: string;
  timezone: string;
  mode: SnapshotMode;
  type: SnapshotType;
  quiesce: QuiesceMode;
  /** Name of a hook profile of the host config, if any. */
  hooks: string | null;
  retention: Retention;
  deletionPolicy: DeletionPolicy;
  /** Where the document starts. */
  source: SourceLocation;
  /** Git commit of the policy file when known. */
  revision: string | null;
}

/** A policy snapshot name pattern: `<policy>-<YYYYMMDDTHHMMSSZ>`; manual names follow SNAPSHOT_NAME_RE. */
export const POLICY_NAME_RE = /^[a-z0-9][a-z0-9-]{0,40}$/;
/** Names that may become path components: letters, digits, dot, dash, underscore; no leading dot. */
export const SNAPSHOT_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
