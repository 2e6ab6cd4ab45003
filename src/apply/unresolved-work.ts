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

/** An error's message as the reason of a journal's unresolved work (without the file name it may start with: it is reported beside). */
export function reasonOf(err: unknown, journal: string): string {
  const m = (err as Error)?.message ?? String(err);
  return m.startsWith(`${journal}: `) ? m.slice(journal.length + 2) : m;
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

/**
 * A domain skipped because of unresolved work, as apply, run and status report it: one entry per
 * (domain, journal). A journal that names no trustworthy domain skips every domain.
 */
export interface SkippedDomain {
  domain: string;
  key: string;
  operation: string;
  reason: string;
  journal: string;
}

/** The domains the unresolved work skips, in inventory order. */
export function skippedDomains(unresolved: readonly UnresolvedWork[], domains: readonly { key: string; name: string }[]): SkippedDomain[] {
  const out: SkippedDomain[] = [];
  for (const d of domains) {
    for (const u of unresolved) {
      if (u.domainKey === null || u.domainKey === d.key) out.push({ domain: d.name, key: d.key, operation: u.operation, reason: u.reason, journal: u.journal });
    }
  }
  // work for a domain the inventory no longer has still counts: it is not forgotten silently
  for (const u of unresolved) {
    if (u.domainKey !== null && !domains.some((d) => d.key === u.domainKey)) out.push({ domain: u.domainName ?? u.domainKey, key: u.domainKey, operation: u.operation, reason: u.reason, journal: u.journal });
  }
  return out;
}

/** How many distinct domains the entries skip. */
export function countSkipped(skipped: readonly SkippedDomain[]): number {
  return new Set(skipped.map((s) => s.key)).size;
}

/** `N domain(s) skipped (unresolved work)`, or '' when none. */
export function skippedSummary(skipped: readonly SkippedDomain[]): string {
  const n = countSkipped(skipped);
  return n ? `${n} domain${n === 1 ? '' : 's'} skipped (unresolved work)` : '';
}

/** The text line of one skipped domain. */
export function skippedLine(s: SkippedDomain): string {
  return `! ${s.domain}: skipped: interrupted work not recovered (${s.operation}): ${s.reason}; journal ${s.journal}; see xensnap recover ${s.domain}`;
}
