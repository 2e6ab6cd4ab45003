import type { ChainMember, Observed, ObservedDisk } from '../../model/observed.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import { foreignNameOf } from '../../observe/join-snapshots.js';

/** Who a node of a disk's graph belongs to: a snapshot, by name, and its origin. */
export interface GraphOwner {
  snapshot: string;
  /** The policy that made it, `manual`, or `foreign` (no record). */
  origin: string;
}

/** An internal snapshot inside an image: it reads its own tables, then through the image's backing. */
export interface GraphTag {
  name: string;
  id: string;
  owner: GraphOwner;
}

/**
 * One image file of a disk's graph. Always: `children` are the images of this graph whose
 * backing is this one (sorted); `sharedBy` lists readers outside this disk's graph (a base
 * shared with other disks or domains); the leaf has `role` 'leaf' and no `owner`.
 */
export interface GraphImage {
  path: string;
  format: string;
  role: 'leaf' | 'chain' | 'branch';
  backing: string | null;
  allocatedBytes: number;
  virtualSize: number;
  fs: string | null;
  links: number | null;
  children: string[];
  tags: GraphTag[];
  owner: GraphOwner | null;
  sharedBy: { domain: string; vdev: string }[];
}

/**
 * A disk's snapshot graph as one view: every image (chain and side branches) with what reads
 * through it and who owns it. Edges "read through" point from `children` to their `backing`;
 * a tag reads through the image holding it. Images are in chain order (leaf first), then
 * branches by path.
 */
export interface DiskGraph {
  vdev: string;
  leaf: string;
  images: GraphImage[];
}

function originOf(s: ObservedSnapshot): string {
  return s.managed && s.record ? (s.record.policy ?? 'manual') : 'foreign';
}

/** Builds the view of one observed disk from its chain, branches and the domain's snapshots. Pure. */
export function diskGraph(disk: ObservedDisk, snapshots: readonly ObservedSnapshot[]): DiskGraph {
  const members: [ChainMember, GraphImage['role']][] = [
    ...disk.chain.map((m, i): [ChainMember, GraphImage['role']] => [m, i === 0 ? 'leaf' : 'chain']),
    ...(disk.branches ?? []).map((m): [ChainMember, GraphImage['role']] => [m, 'branch']),
  ];
  const fileOwner = new Map<string, GraphOwner>();
  const tagOwner = new Map<string, GraphOwner>(); // tag name (a record claims a name on the disk)
  for (const s of snapshots) {
    for (const d of s.disks) {
      if (d.vdev !== disk.vdev) continue;
      const owner = { snapshot: s.name, origin: originOf(s) };
      if (d.frozenPath) fileOwner.set(d.frozenPath, owner);
      if (s.type === 'internal') tagOwner.set(d.tag ?? s.name, owner);
    }
  }
  const sharedBy = new Map((disk.sharedWith ?? []).map((x) => [x.path, x.by]));
  const children = new Map<string, string[]>();
  for (const [m] of members) {
    if (m.backing === null) continue;
    let l = children.get(m.backing);
    if (!l) children.set(m.backing, (l = []));
    l.push(m.path);
  }
  const images = members.map(([m, role]): GraphImage => ({
    path: m.path,
    format: m.format,
    role,
    backing: m.backing,
    allocatedBytes: m.allocatedBytes,
    virtualSize: m.virtualSize,
    fs: m.fs ?? null,
    links: m.links ?? null,
    children: (children.get(m.path) ?? []).sort(),
    tags: ((role === 'leaf' ? disk.internal : m.internal) ?? []).map((t) => ({
      name: t.name,
      id: t.id,
      owner: tagOwner.get(t.name) ?? { snapshot: t.name, origin: 'foreign' },
    })),
    owner: role === 'leaf' ? null : (fileOwner.get(m.path) ?? { snapshot: foreignNameOf(m.path), origin: 'foreign' }),
    sharedBy: sharedBy.get(m.path) ?? [],
  }));
  return { vdev: disk.vdev, leaf: disk.leaf, images };
}

/** Every observed disk's graph view, for `list --json` (domain name and key beside each). */
export function observedGraphs(observed: Observed): Array<DiskGraph & { domain: string; domainKey: string }> {
  const out: Array<DiskGraph & { domain: string; domainKey: string }> = [];
  for (const od of observed.domains) {
    const snaps = observed.snapshots.filter((s) => s.domainKey === od.domain.key);
    for (const d of od.disks) out.push({ domain: od.domain.name, domainKey: od.domain.key, ...diskGraph(d, snaps) });
  }
  return out;
}
