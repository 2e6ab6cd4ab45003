import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { DiskDeleteStep, StreamStep } from '../plan-types.js';
import type { VImage, VirtualGraph } from './virtual-graph.js';

/** What the planner knows beyond the graph when it decides one disk's delete. */
export interface DecideContext {
  /** The disk's backend: VHD chains (blktap) have no internal snapshots and merge natively. */
  backend: 'qdisk' | 'blktap';
  /** Directories holding files that look like images but could not be read. */
  unreadableDirs: ReadonlySet<string>;
}

/**
 * One disk's verdict: a step that changes no other snapshot, `gone` (nothing of the snapshot
 * is left on this disk: the delete only drops the record), or `blocked` with the reason in
 * words that name what reads through it.
 */
export type DiskVerdict = { step: DiskDeleteStep } | { gone: true } | { blocked: string };

/** qcow2 cluster size assumed for estimates (observation does not read each image's own). */
const CLUSTER = 65_536;
/** A tag delete rewrites the snapshot table and some refcount blocks: a few clusters. */
const TAG_DELETE_BYTES = 4 * CLUSTER;

const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
const names = (xs: { owner: string }[]) => [...new Set(xs.map((x) => x.owner))].join(', ');

/**
 * Decides how to delete one disk of a snapshot on the disk's current virtual graph, or why it
 * cannot be done now without changing another snapshot. Pure; does not change the graph.
 */
export function decideDiskDelete(g: VirtualGraph, rec: SnapshotDiskRecord, type: 'internal' | 'external', snapshot: string, ctx: DecideContext): DiskVerdict {
  if (type === 'internal') return decideTag(g, rec.tag ?? snapshot);
  if (!rec.frozenPath) return { blocked: `its record names no frozen image for ${rec.vdev}` };
  return decideImage(g, rec.frozenPath, ctx);
}

function decideTag(g: VirtualGraph, tag: string): DiskVerdict {
  const holders = g.holdersOf(tag);
  if (holders.length === 0) return { gone: true };
  const copies = holders.flatMap((h) => h.tags.filter((t) => t.name === tag).map((t) => `${h.path} id ${t.id}`));
  if (copies.length > 1) {
    return { blocked: `internal snapshot "${tag}" appears ${copies.length} times on ${g.vdev} (${copies.join(', ')}): qemu-img snapshot -d deletes only the first match, so xensnap refuses; remove the extra ones by id with qemu-img snapshot -d ID` };
  }
  const x = holders[0]!;
  if (x.shared.length) return { blocked: `internal snapshot "${tag}" lives in ${x.path}, which ${x.shared.join(', ')} also read${x.shared.length > 1 ? '' : 's'}` };
  const cost = { vdev: g.vdev, image: x.path, bytesToCopy: 0, tempBytes: TAG_DELETE_BYTES, chainDepthAfter: g.chainDepth() };
  if (x.live) {
    if (x.path === g.leaf) return { step: { ...cost, method: 'delete-tag', tag, via: 'qmp' } };
    return { blocked: `internal snapshot "${tag}" lives in ${x.path}, below the active image of the running domain; QEMU deletes internal snapshots only in the active image, so it is deleted once the domain is shut off` };
  }
  const byId = x.tags.find((t) => t.id === tag && t.name !== tag);
  if (byId) return { blocked: `"${tag}" is also the id of internal snapshot "${byId.name}" in ${x.path}, which qemu-img snapshot -d would delete instead` };
  return { step: { ...cost, method: 'delete-tag', tag, via: 'qemu-img' } };
}

function decideImage(g: VirtualGraph, path: string, ctx: DecideContext): DiskVerdict {
  const f = g.get(path);
  if (!f) return { gone: true };
  if (path === g.leaf) return { blocked: `${path} is the leaf of ${g.vdev}, not a frozen image` };
  if (f.shared.length) return { blocked: `${path} is also read by ${f.shared.join(', ')}` };
  if (ctx.unreadableDirs.has(dirOf(path))) return { blocked: `a file in ${dirOf(path)} could not be read and might read through ${path}` };
  const children = g.children(path);
  const depthNow = g.chainDepth();
  const depthAfter = g.inChain(path) ? depthNow - 1 : depthNow; // a side-branch image is not in the chain
  const base = { vdev: g.vdev, image: path, chainDepthAfter: depthAfter };
  if (f.tags.length) return commitOrBlock(f, children, base, `internal snapshot${f.tags.length > 1 ? 's' : ''} ${names(f.tags)} live${f.tags.length > 1 ? '' : 's'} in ${path}`);
  if (children.length === 0) return { step: { ...base, method: 'remove', bytesToCopy: 0, tempBytes: 0 } };
  if (children.length === 1 && !children[0]!.tags.length && commitPossible(f, children[0]!) && children[0]!.allocatedBytes < f.allocatedBytes) {
    const c = children[0]!;
    return { step: { ...base, method: 'commit', child: c.path, parent: f.backing, bytesToCopy: c.allocatedBytes, tempBytes: c.allocatedBytes } };
  }
  const ways: StreamStep['children'] = [];
  let temp = 0;
  for (const c of children) {
    const how = streamHow(f, c, ctx);
    if ('blocked' in how) return how;
    ways.push({ path: c.path, how: how.how });
    temp += how.how === 'cluster' ? clusterMergeBytes(f, c) : f.allocatedBytes;
  }
  return {
    step: { ...base, method: 'stream', parent: f.backing, parentFormat: f.backing ? (g.get(f.backing)?.format ?? null) : null, children: ways, bytesToCopy: f.allocatedBytes * children.length, tempBytes: temp },
  };
}

function streamHow(f: VImage, c: VImage, ctx: DecideContext): { how: StreamStep['children'][number]['how'] } | { blocked: string } {
  if (ctx.backend === 'blktap' || c.format === 'vhd') return { how: 'vhd-stream' };
  if (c.tags.length) {
    if (c.live) return { blocked: `internal snapshot${c.tags.length > 1 ? 's' : ''} ${names(c.tags)} in ${c.path} read${c.tags.length > 1 ? '' : 's'} through ${f.path} and the domain is running; a merge that keeps them exact runs offline, once the domain is shut off` };
    if (f.format !== 'qcow2') return { blocked: `internal snapshots ${names(c.tags)} in ${c.path} read through ${f.path}, a ${f.format} image the cluster-level merge cannot read` };
    return { how: 'cluster' };
  }
  return { how: c.live ? 'block-stream' : 'rebase' };
}

/**
 * F holds internal snapshots: its file must stay. The one way to delete F's own snapshot is to
 * commit its only child into it and give F the child's path — offline, same directory, one link.
 */
function commitOrBlock(f: VImage, children: VImage[], base: { vdev: string; image: string; chainDepthAfter: number }, why: string): DiskVerdict {
  if (children.length === 0) return { blocked: `${why}; nothing else reads through it, but its file holds them, so it stays until they are deleted` };
  if (children.length > 1) return { blocked: `${why}, and ${children.length} images read through it (${children.map((c) => c.path).join(', ')})` };
  const c = children[0]!;
  if (c.tags.length) return { blocked: `${why}, and internal snapshots ${names(c.tags)} in ${c.path} read through it` };
  if (f.live || c.live) return { blocked: `${why}; committing ${c.path} into it keeps them, but only offline: it is done once the domain is shut off` };
  const no = commitRefusal(f, c);
  if (no) return { blocked: `${why}; committing ${c.path} into it would keep them, but ${no}` };
  return { step: { ...base, method: 'commit', child: c.path, parent: f.backing, bytesToCopy: c.allocatedBytes, tempBytes: c.allocatedBytes } };
}

function commitPossible(f: VImage, c: VImage): boolean {
  return !f.live && !c.live && commitRefusal(f, c) === null;
}

function commitRefusal(f: VImage, c: VImage): string | null {
  if (f.format !== 'qcow2' || c.format !== 'qcow2') return `commit needs qcow2 images (${f.format} ← ${c.format})`;
  if (dirOf(f.path) !== dirOf(c.path)) return `${c.path} is in another directory (the merged file takes its place by rename)`;
  if (f.links !== null && f.links !== 1) return `${f.path} has ${f.links} hard links`;
  return null;
}

/** Upper bound of what a cluster-level merge writes into one child: F's data, plus L2 tables for every table of the child. */
function clusterMergeBytes(f: VImage, c: VImage): number {
  const l2Span = (CLUSTER / 8) * CLUSTER; // guest bytes one L2 table maps
  const l2PerTable = Math.ceil(Math.min(f.allocatedBytes, f.virtualSize) / l2Span) + 1;
  return f.allocatedBytes + (1 + c.tags.length) * l2PerTable * CLUSTER + 4 * CLUSTER;
}
