import type { ObservedSnapshot } from '../model/snapshot.js';
import type { PlanAction, PlanDomainRef } from './plan-types.js';
import { isoSeconds } from './slots.js';
import { slotMsOf } from './snapshot-time.js';

/**
 * The delete action for a managed snapshot (callers never pass a foreign one); its `merge` is
 * decided later, on the disk graphs (graph/plan-graph-deletes.ts).
 */
export function deleteAction(ref: PlanDomainRef, s: ObservedSnapshot, reason: string): PlanAction {
  const r = s.record!;
  const a: PlanAction = {
    action: 'delete',
    domain: ref,
    policy: r.policy,
    snapshot: s.name,
    slot: slotOf(s),
    mode: r.mode,
    type: r.type,
    disks: vdevList(s),
    reason,
  };
  return a;
}

function slotOf(s: ObservedSnapshot): string | null {
  const ms = slotMsOf(s);
  return ms === null ? null : isoSeconds(ms);
}

const single = new Map<string, string[]>();

/** vdevs of a snapshot; the one-disk lists (nearly all) are shared and frozen. */
function vdevList(s: ObservedSnapshot): string[] {
  if (s.disks.length !== 1) return s.disks.map((d) => d.vdev);
  const v = s.disks[0]!.vdev;
  let l = single.get(v);
  if (!l) {
    l = Object.freeze([v]) as string[];
    single.set(v, l);
  }
  return l;
}
