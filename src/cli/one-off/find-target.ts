import type { Domain } from '../../model/domain.js';
import type { ObservedDomain } from '../../model/observed.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import type { RecoveredHost } from '../../apply/reconcile-once.js';
import { UserInputError } from '../../errors.js';
import { findSkipped, skippedRefusal } from '../../model/skipped-domain.js';

/** The domain named `name` on a recovered host; refused when absent, skipped (saying why) or blocked by recovery. */
export function findDomain(command: string, host: RecoveredHost, name: string): { domain: Domain; observed: ObservedDomain | undefined } {
  const domain = host.domains.find((d) => d.name === name);
  if (!domain) {
    const skipped = findSkipped(host.observed.skipped, name);
    throw new UserInputError(skipped ? skippedRefusal(command, skipped) : `${command}: no domain named "${name}" on this host`);
  }
  if (host.blocked.has(domain.key)) {
    const why = host.observed.findings.find((f) => f.kind === 'skipped' && f.domain?.name === name && f.message.startsWith('interrupted work'));
    throw new UserInputError(`${command}: domain ${name} has ${why ? why.message : 'interrupted work not recovered'}; nothing was changed`);
  }
  return { domain, observed: host.observed.domains.find((od) => od.domain.key === domain.key) };
}

/** The observed snapshot `name` of the domain, or a UserInputError pointing at `list`. */
export function findSnapshot(command: string, snapshots: readonly ObservedSnapshot[], domain: Domain, name: string): ObservedSnapshot {
  const snap = snapshots.find((s) => s.domainKey === domain.key && s.name === name);
  if (!snap) throw new UserInputError(`${command}: domain ${domain.name} has no snapshot "${name}" (see xensnap list ${domain.name})`);
  return snap;
}

/** `foreign`, `manual` or `policy <name>`: how messages name a snapshot's owner. */
export function ownerWords(s: ObservedSnapshot): string {
  if (!s.managed || !s.record) return 'foreign';
  return s.record.policy === null ? 'manual' : `policy ${s.record.policy}`;
}
