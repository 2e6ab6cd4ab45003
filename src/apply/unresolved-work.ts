/**
 * A journal recovery could not resolve. Its domain is skipped (never planned, never changed)
 * until the journal is resolved by a later recovery or discarded by the operator
 * (`xensnap recover --discard`). Always: `domainKey` null means the journal names no domain
 * that can be trusted, so every domain of the host is skipped.
 */
export interface UnresolvedWork {
  /** The journal file. */
  journal: string;
  domainKey: string | null;
  domainName: string | null;
  /** What the journal was doing, in words: `revert of i1`, `create of s1`, `unreadable journal`. */
  operation: string;
  /** Why recovery could not finish it. */
  reason: string;
}

/** `<action> of <snapshot>` for an operation's words. */
export function operationWords(action: string | null, snapshot: string | null): string {
  if (!action) return 'unreadable journal';
  return snapshot ? `${action} of ${snapshot}` : action;
}

/** The domain keys the unresolved work blocks; `all` when one of them cannot be attributed. */
export function blockedKeys(unresolved: readonly UnresolvedWork[], allKeys: readonly string[]): Set<string> {
  if (unresolved.some((u) => u.domainKey === null)) return new Set(allKeys);
  return new Set(unresolved.map((u) => u.domainKey!));
}

/** One line for logs and findings: `interrupted work not recovered (revert of i1): <reason>; journal <file>`. */
export function unresolvedLine(u: UnresolvedWork): string {
  return `interrupted work not recovered (${u.operation}): ${u.reason}; journal ${u.journal}`;
}
