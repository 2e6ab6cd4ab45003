import { frozenImagePath } from '../../model/frozen-image-path.js';
import type { DiskGraph } from './disk-graph.js';

/**
 * One image of a disk's graph as the planner sees it while it plans: the observation, then the
 * effect of every create and delete planned before. `live`: a running domain's QEMU or tapdisk
 * has it open (its chain), so only the live interface may change it. `shared`: other disks read
 * it. `tags` are the internal snapshots inside it.
 */
export interface VImage {
  path: string;
  format: string;
  backing: string | null;
  allocatedBytes: number;
  virtualSize: number;
  fs: string | null;
  links: number | null;
  tags: { name: string; id: string; owner: string }[];
  live: boolean;
  shared: string[];
}

/** A new external overlay is counted this big until it is observed. */
const NEW_OVERLAY_BYTES = 256 * 1024;

/**
 * A disk's graph the planner changes as it plans, so each delete is decided on the graph the
 * executor will meet: creates first (they run first), then the deletes before it in plan order.
 */
export class VirtualGraph {
  private readonly images = new Map<string, VImage>();

  constructor(
    readonly vdev: string,
    readonly leaf: string,
    images: Iterable<VImage>,
  ) {
    for (const i of images) this.images.set(i.path, i);
  }

  /** The graph of an observed disk; `running`: its domain's chain is open in QEMU or tapdisk. */
  static of(g: DiskGraph, running: boolean): VirtualGraph {
    return new VirtualGraph(
      g.vdev,
      g.leaf,
      g.images.map((i) => ({
        path: i.path,
        format: i.format,
        backing: i.backing,
        allocatedBytes: i.allocatedBytes,
        virtualSize: i.virtualSize,
        fs: i.fs,
        links: i.links,
        tags: i.tags.map((t) => ({ name: t.name, id: t.id, owner: t.owner.snapshot })),
        live: running && i.role !== 'branch',
        shared: i.sharedBy.map((s) => `${s.domain} ${s.vdev}`),
      })),
    );
  }

  get(path: string): VImage | undefined {
    return this.images.get(path);
  }

  /** Images whose backing is `path`, sorted. */
  children(path: string): VImage[] {
    return [...this.images.values()].filter((i) => i.backing === path).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Every image holding an internal snapshot named `tag`. */
  holdersOf(tag: string): VImage[] {
    return [...this.images.values()].filter((i) => i.tags.some((t) => t.name === tag));
  }

  /** Images from the leaf down (the chain), leaf included. */
  chainDepth(): number {
    let n = 0;
    const seen = new Set<string>();
    for (let p: string | null = this.leaf; p !== null && !seen.has(p); n++) {
      seen.add(p);
      p = this.images.get(p)?.backing ?? null;
      if (p !== null && !this.images.has(p)) return n + 1; // a base outside the graph (not read)
    }
    return n;
  }

  /** True when `path` is the leaf or below it (in the current chain, not on a side branch). */
  inChain(path: string): boolean {
    const seen = new Set<string>();
    for (let p: string | null = this.leaf; p !== null && !seen.has(p); p = this.images.get(p)?.backing ?? null) {
      if (p === path) return true;
      seen.add(p);
    }
    return false;
  }

  addTag(path: string, name: string, owner: string): void {
    this.images.get(path)?.tags.push({ name, id: '', owner });
  }

  /** An external create: the leaf is frozen under its snapshot name and a new, empty leaf reads through it. */
  freezeLeaf(snapshot: string): void {
    const leaf = this.images.get(this.leaf);
    if (!leaf) return;
    const frozen = frozenImagePath(this.leaf, snapshot);
    this.images.set(frozen, { ...leaf, path: frozen, links: 1 });
    this.images.set(this.leaf, { ...leaf, backing: frozen, allocatedBytes: NEW_OVERLAY_BYTES, tags: [], links: 1, shared: [] });
  }

  dropTag(path: string, tag: string): void {
    const i = this.images.get(path);
    if (i) i.tags = i.tags.filter((t) => t.name !== tag);
  }

  /** F's data went into each child, which now reads through F's parent; F is gone. */
  streamAway(path: string): void {
    const f = this.images.get(path);
    if (!f) return;
    for (const c of this.children(path)) {
      c.backing = f.backing;
      c.allocatedBytes += f.allocatedBytes;
    }
    this.images.delete(path);
  }

  /** F's only child was committed into F and F took the child's path. */
  commitAway(path: string, child: string): void {
    const f = this.images.get(path);
    const c = this.images.get(child);
    if (!f || !c) return;
    this.images.delete(path);
    this.images.set(child, { ...f, path: child, allocatedBytes: f.allocatedBytes + c.allocatedBytes, live: c.live, links: 1 });
  }

  remove(path: string): void {
    this.images.delete(path);
  }
}
