import type { ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { deleteAction } from './delete-action.js';
import type { DomainPlan } from './plan-domain.js';
import type { PolicyContext } from './policy-context.js';

/**
 * Snapshots of a policy that still exists but whose selector no longer matches the domain (its
 * names, uuids or exclude; a domain that is merely in another state is still selected for
 * retention): the policy has gone for this domain, so its current `deletionPolicy` applies, as
 * planOrphans applies a gone policy's. Retain → kept (rule `deselected`); Delete → every one
 * deleted, the newest too; pinned ones are kept either way. One `deselected` finding says so,
 * because nothing else would ever touch these snapshots again. The run's limits still apply.
 */
export function planDeselected(out: DomainPlan, od: ObservedDomain | undefined, group: readonly ObservedSnapshot[], pc: PolicyContext): void {
  const p = pc.policy;
  let kept = 0;
  let deleted = 0;
  for (const s of group) {
    if (s.record!.pinned) out.kept.push({ domain: out.ref, policy: p.name, snapshot: s.name, rules: ['deselected', 'pinned'] });
    else if (p.deletionPolicy === 'Delete') {
      out.deletes.push(deleteAction(out.ref, s, `policy ${p.name} no longer selects this domain and its deletionPolicy is Delete`));
      deleted++;
    } else {
      out.kept.push({ domain: out.ref, policy: p.name, snapshot: s.name, rules: ['deselected'] });
      kept++;
    }
  }
  const n = (k: number) => `${k} snapshot${k === 1 ? '' : 's'}`;
  const what = p.deletionPolicy === 'Delete'
    ? `${n(deleted)} deleted (deletionPolicy Delete)${group.length > deleted ? `, ${n(group.length - deleted)} pinned kept` : ''}`
    : `${n(kept)} retained (deletionPolicy Retain): no policy will ever delete ${kept === 1 ? 'it' : 'them'}; \`xensnap delete\` removes them by hand`;
  out.findings.push({ kind: 'deselected', domain: { uuid: out.ref.uuid, name: out.ref.name }, message: `policy ${p.name} no longer selects this domain: ${what}` });
}
