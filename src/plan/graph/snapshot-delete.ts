import type { Domain } from '../../model/domain.js';
import type { Observed, ObservedDomain } from '../../model/observed.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import type { DiskDeleteStep, MergeCost, PlanAction } from '../plan-types.js';
import { decideDiskDelete, type DecideContext } from './decide-disk-delete.js';
import { diskGraph } from './disk-graph.js';
import { VirtualGraph } from './virtual-graph.js';

/**
 * The virtual graphs of a domain's observed disks, by vdev; `unread` names observed disks whose
 * chain could not be read (nothing is merged on them).
 */
export interface DomainGraphs {
  disks: Map<string, VirtualGraph>;
  unread: Set<string>;
}

/** Every observed disk's virtual graph; a running domain's chains are open. */
export function domainGraphs(od: ObservedDomain | undefined, snaps: readonly ObservedSnapshot[]): DomainGraphs {
  const g: DomainGraphs = { disks: new Map(), unread: new Set() };
  if (!od) return g;
  const running = od.domain.state !== 'shutoff';
  for (const d of od.disks) {
    if (d.chain.length) g.disks.set(d.vdev, VirtualGraph.of(diskGraph(d, snaps), running));
    else g.unread.add(d.vdev);
  }
  return g;
}

/** Directories holding a file observation could not read: it might read through anything there. */
export function unreadableDirsOf(observed: Observed): Set<string> {
  return new Set((observed.scan?.unreadable ?? []).map((u) => u.path.slice(0, u.path.lastIndexOf('/')) || '/'));
}

/** The graphs after the domain's planned creates (the executor runs creates before deletes). */
export function applyCreates(graphs: DomainGraphs, creates: readonly PlanAction[]): void {
  for (const a of creates) {
    for (const vdev of a.disks) {
      const g = graphs.disks.get(vdev);
      if (!g) continue;
      if (a.type === 'internal') g.addTag(g.leaf, a.snapshot, a.snapshot);
      else g.freezeLeaf(a.snapshot);
    }
  }
}

/**
 * A snapshot's delete decided on the graphs: its cost and steps, or why it must wait. `merge` is
 * null when none of its disks was observed at all (an observation without images: plans made
 * from exported or synthetic data), so nothing is known to decide on.
 */
export type SnapshotVerdict = { merge: MergeCost | null } | { blocked: string };

/**
 * Decides how each disk of `snap` is deleted on the current graphs (all or none: one blocked
 * disk keeps the whole snapshot). Pure; the graphs are not changed (see applyDelete).
 */
export function decideSnapshotDelete(graphs: DomainGraphs, domain: Domain, snap: ObservedSnapshot, unreadableDirs: ReadonlySet<string>): SnapshotVerdict {
  const steps: DiskDeleteStep[] = [];
  let seen = 0;
  for (const rec of snap.disks) {
    if (graphs.unread.has(rec.vdev)) return { blocked: `the images of ${rec.vdev} could not be read` };
    const g = graphs.disks.get(rec.vdev);
    if (!g) continue;
    seen++;
    const ctx: DecideContext = { backend: domain.disks.find((d) => d.vdev === rec.vdev)?.backend === 'tap' ? 'blktap' : 'qdisk', unreadableDirs };
    const v = decideDiskDelete(g, rec, snap.type, snap.name, ctx);
    if ('blocked' in v) return { blocked: `${rec.vdev}: ${v.blocked}` };
    if ('step' in v) steps.push(v.step);
  }
  return { merge: seen ? mergeCost(steps, graphs) : null };
}

function mergeCost(steps: DiskDeleteStep[], graphs: DomainGraphs): MergeCost {
  const methods = new Set(steps.map((s) => s.method));
  return {
    method: methods.size === 1 ? [...methods][0]! : methods.size === 0 ? 'none' : 'mixed',
    bytesToCopy: steps.reduce((n, s) => n + s.bytesToCopy, 0),
    tempBytes: steps.reduce((n, s) => n + s.tempBytes, 0),
    chainDepthAfter: steps.length ? Math.max(...steps.map((s) => s.chainDepthAfter)) : Math.max(0, ...[...graphs.disks.values()].map((g) => g.chainDepth())),
    disks: steps,
  };
}

/** What a planned delete does to the graphs, so the next delete is decided on what it leaves. */
export function applyDelete(graphs: DomainGraphs, merge: MergeCost): void {
  for (const s of merge.disks) {
    const g = graphs.disks.get(s.vdev);
    if (!g) continue;
    if (s.method === 'delete-tag') g.dropTag(s.image, s.tag);
    else if (s.method === 'remove') g.remove(s.image);
    else if (s.method === 'stream') g.streamAway(s.image);
    else g.commitAway(s.image, s.child);
  }
}

/** Temporary space per filesystem id: a stream writes into the children, a commit into F. */
export function tempByFs(graphs: DomainGraphs, merge: MergeCost): Map<string, number> {
  const need = new Map<string, number>();
  const add = (fs: string | null | undefined, n: number) => {
    if (fs) need.set(fs, (need.get(fs) ?? 0) + n);
  };
  for (const s of merge.disks) {
    const g = graphs.disks.get(s.vdev);
    if (s.method === 'stream' && s.children.length) for (const c of s.children) add(g?.get(c.path)?.fs, s.tempBytes / s.children.length);
    else add(g?.get(s.image)?.fs, s.tempBytes);
  }
  return need;
}
