import type { Disk } from './domain.js';
import type { Finding } from './observed.js';
import type { ObservedSnapshot } from './snapshot.js';

/**
 * Why a domain known by name takes no part in a run. Inventory causes: its state cannot be told
 * (a QMP socket that hangs, xl's two listings disagreeing), it is shutting down, crashed or
 * dying, its configuration has errors or conflicts with another, or its name cannot key a state
 * folder. Journal causes: interrupted work on it is not recovered yet (`pending-journal`:
 * plan, which recovers nothing; apply and run recover first) or recovery could not resolve it
 * (`unresolved-journal`).
 */
export type SkipCause =
  | 'state-unknown'
  | 'state-transient'
  | 'config-invalid'
  | 'config-conflict'
  | 'unkeyable'
  | 'pending-journal'
  | 'unresolved-journal';

/**
 * A domain that exists (the inventory or a journal names it) but that no command may change
 * this run. Always: `reason` is words an operator can act on, without the domain's name or a
 * trailing "skipped"; `journal` (the journal file) is set for the journal causes; `key` is the
 * state-folder key when known; `disks` are the disks its configuration names, when known, so
 * `list` can still show what the records and images say (`snapshots`, set by list only: read
 * from disk, never through a live interface, never planned).
 */
export interface SkippedDomain {
  name: string;
  uuid: string | null;
  key: string | null;
  cause: SkipCause;
  reason: string;
  journal?: string;
  disks?: Disk[];
  snapshots?: ObservedSnapshot[];
}

/** The `skipped` finding of a skipped domain: `domain NAME: REASON; skipped`. */
export function skippedFinding(s: SkippedDomain): Finding {
  return { kind: 'skipped', domain: { uuid: s.uuid, name: s.name }, message: `domain ${s.name}: ${s.reason}${s.journal ? ` (journal ${s.journal})` : ''}; skipped` };
}

/** What a command that names a skipped domain says: `CMD: domain NAME is skipped: REASON; nothing was changed`. */
export function skippedRefusal(command: string, s: SkippedDomain): string {
  return `${command}: domain ${s.name} is skipped: ${s.reason}${s.journal ? ` (journal ${s.journal})` : ''}; nothing was changed`;
}

/** The skipped domain of that name, if any (the first: one name is one domain). */
export function findSkipped(list: readonly SkippedDomain[] | undefined, name: string): SkippedDomain | undefined {
  return list?.find((s) => s.name === name);
}
