import type { Domain } from '../../model/domain.js';
import type { ObservedDomain } from '../../model/observed.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import { formatBytes } from '../../util/format-bytes.js';
import type { DomainPlan } from '../plan-domain.js';
import type { PlanAction, PlanHeldDelete } from '../plan-types.js';
import { applyCreates, applyDelete, decideSnapshotDelete, domainGraphs, tempByFs } from './snapshot-delete.js';
import type { SpaceLedger } from './space-ledger.js';

const UNMERGEABLE = Object.freeze(['unmergeable']) as string[];
const CAPACITY = Object.freeze(['capacity']) as string[];

/**
 * Decides every retention delete of one domain on its disks' graphs, in plan order (the order
 * the executor runs them, after the domain's creates): each gets the per-disk steps that keep
 * every other snapshot exact; one with no such step now is kept (`unmergeable`, with the reason
 * and a finding saying what would unblock it); one whose merge does not fit its filesystem is
 * kept (`capacity`) and listed in `heldDeletes`. Each accepted delete changes the graph the next
 * one is decided on. Returns true when a delete needed what mixing internal and external
 * snapshots on a disk costs: an offline merge (cluster-level or commit), or a wait. Mutates `dp`.
 */
export function planGraphDeletes(
  dp: DomainPlan,
  domain: Domain,
  od: ObservedDomain | undefined,
  snaps: readonly ObservedSnapshot[],
  unreadableDirs: ReadonlySet<string>,
  ledger: SpaceLedger | null,
  heldDeletes: PlanHeldDelete[],
): boolean {
  if (dp.deletes.length === 0) return false;
  let costly = false;
  const graphs = domainGraphs(od, snaps);
  applyCreates(graphs, dp.creates);
  const byName = new Map(snaps.map((s) => [s.name, s]));
  const fref = { uuid: domain.uuid, name: domain.name };
  const accepted: PlanAction[] = [];
  for (const a of dp.deletes) {
    const snap = byName.get(a.snapshot);
    if (!snap) {
      accepted.push(a);
      continue;
    }
    const v = decideSnapshotDelete(graphs, domain, snap, unreadableDirs);
    if ('blocked' in v) {
      costly = true;
      dp.kept.push({ domain: dp.ref, policy: a.policy, snapshot: a.snapshot, rules: UNMERGEABLE, why: v.blocked });
      dp.findings.push({ kind: 'unmergeable', domain: fref, message: `snapshot ${a.snapshot} is due for deletion (${a.reason}) but is kept: ${v.blocked}` });
      continue;
    }
    if (v.merge === null) {
      accepted.push(a);
      continue;
    }
    const need = tempByFs(graphs, v.merge);
    const short = ledger?.shortfall(dp.ref.key, need) ?? null;
    if (short) {
      const why = `merging it needs about ${formatBytes(short.neededBytes)} on ${short.fs.mount}, which has ${formatBytes(short.freeBytes)} free for it`;
      dp.kept.push({ domain: dp.ref, policy: a.policy, snapshot: a.snapshot, rules: CAPACITY, why });
      dp.findings.push({ kind: 'capacity', domain: fref, message: `snapshot ${a.snapshot} is not deleted in this run: ${why}` });
      heldDeletes.push({ domain: dp.ref, policy: a.policy, snapshot: a.snapshot, fs: short.fs.id, neededBytes: short.neededBytes, freeBytes: short.freeBytes });
      continue;
    }
    costly ||= v.merge.disks.some((d) => d.method === 'commit' || (d.method === 'stream' && d.children.some((c) => c.how === 'cluster')));
    ledger?.reserve(dp.ref.key, need);
    a.merge = v.merge;
    applyDelete(graphs, v.merge);
    accepted.push(a);
  }
  dp.deletes = accepted;
  return costly;
}
