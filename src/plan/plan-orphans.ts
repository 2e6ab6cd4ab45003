import type { ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { deleteAction } from './delete-action.js';
import type { DomainPlan } from './plan-domain.js';

/**
 * Snapshots of policies that no longer exist follow their record's deletionPolicy: Retain →
 * kept and reported as orphaned (one finding per gone policy); Delete → every one deleted,
 * the newest too (the policy that protected it is gone), pinned ones excepted. The run's
 * limits still apply to those deletes.
 */
export function planOrphans(
  out: DomainPlan,
  od: ObservedDomain | undefined,
  groups: ReadonlyMap<string, ObservedSnapshot[]>,
  policyNames: ReadonlySet<string>,
  manualKey: string,
): void {
  // sorted, so findings do not depend on the order observation listed snapshots in
  for (const key of [...groups.keys()].sort()) {
    if (key === manualKey || policyNames.has(key)) continue;
    const group = groups.get(key)!;
    let retained = 0;
    for (const s of group) {
      const r = s.record!;
      if (r.pinned) out.kept.push({ domain: out.ref, policy: key, snapshot: s.name, rules: ['orphaned', 'pinned'] });
      else if (r.deletionPolicy === 'Delete') out.deletes.push(deleteAction(out.ref, s, `policy ${key} is gone and its deletionPolicy is Delete`));
      else {
        out.kept.push({ domain: out.ref, policy: key, snapshot: s.name, rules: ['orphaned'] });
        retained++;
      }
    }
    if (retained > 0) {
      out.findings.push({ kind: 'orphaned', domain: { uuid: out.ref.uuid, name: out.ref.name }, message: `${retained} snapshot${retained === 1 ? '' : 's'} of policy ${key}, which is gone, retained (deletionPolicy Retain)` });
    }
  }
}
