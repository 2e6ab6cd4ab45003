import type { SharedImage } from '../model/observed.js';

/** One disk whose chain observation read: `id` is unique on the host (`<domain key>\0<vdev>`). */
export interface ChainOwner {
  id: string;
  domain: string;
  vdev: string;
  /** The chain's image paths, leaf first. */
  chain: readonly string[];
}

/** What attribution needs of an image that is in no chain: where it reads through. */
export interface LooseImage {
  path: string;
  backing: string | null;
}

/**
 * What attribution found for one disk: its side-branch images (paths, sorted) and the images of
 * its graph that other disks read too.
 */
export interface DiskAttribution {
  branches: string[];
  sharedWith: SharedImage[];
}

/**
 * Decides which disk's graph each loose image (found by scanning, in no disk's chain) belongs
 * to, and who else reads each image. Pure.
 *
 * A loose image belongs to the disk whose record claims it (`claims`: path → disk id); else to
 * the disk owning the first chain image, or claimed image, its backing links reach (the first
 * such disk by id when several chains share that image); else to the disk of an image that reads
 * through it (a side tree a merge cut off from the chain keeps its root). Loose images related to
 * no chain and no claim are unrelated and dropped.
 * An image is shared when a disk other than the one whose graph holds it reads it: it is in that
 * disk's chain, or one of its children belongs to that disk.
 */
export function attributeBranches(
  owners: readonly ChainOwner[],
  loose: readonly LooseImage[],
  claims: ReadonlyMap<string, string>,
): Map<string, DiskAttribution> {
  const chainOwners = new Map<string, string[]>(); // path → disk ids whose chain holds it
  for (const o of [...owners].sort((a, b) => cmp(a.id, b.id))) {
    for (const p of o.chain) {
      let l = chainOwners.get(p);
      if (!l) chainOwners.set(p, (l = []));
      if (!l.includes(o.id)) l.push(o.id);
    }
  }
  const looseByPath = new Map(loose.filter((l) => !chainOwners.has(l.path)).map((l) => [l.path, l]));
  const known = new Set(owners.map((o) => o.id));
  const home = new Map<string, string | null>(); // loose path → disk id (null: unrelated)

  const claimOf = (p: string): string | null => {
    const c = claims.get(p);
    return c !== undefined && known.has(c) && looseByPath.has(p) ? c : null;
  };
  const reach = (path: string): string | null => {
    // follow backing links through loose images until a chain image or a claimed one; loops end unrelated
    const seen = new Set<string>([path]);
    let p: string | null = looseByPath.get(path)?.backing ?? null;
    while (p !== null && !seen.has(p)) {
      seen.add(p);
      const c = chainOwners.get(p);
      if (c) return c[0]!;
      const claimed = claimOf(p);
      if (claimed) return claimed;
      p = looseByPath.get(p)?.backing ?? null;
    }
    return null;
  };
  for (const path of looseByPath.keys()) home.set(path, claimOf(path) ?? reach(path));
  // the unclaimed images a homed one reads through belong to the same disk
  for (const [path, id] of [...home]) {
    if (id === null) continue;
    const seen = new Set<string>([path]);
    for (let p = looseByPath.get(path)!.backing; p !== null && looseByPath.has(p) && !seen.has(p); p = looseByPath.get(p)!.backing) {
      seen.add(p);
      if (home.get(p) === null) home.set(p, id);
    }
  }

  // every image's holders (the disks whose graph it is in) and its children
  const holders = new Map<string, string[]>();
  for (const [p, ids] of chainOwners) holders.set(p, ids);
  for (const [p, id] of home) if (id !== null) holders.set(p, [id]);
  const children = new Map<string, string[]>();
  const addChild = (parent: string | null, child: string) => {
    if (parent === null) return;
    let l = children.get(parent);
    if (!l) children.set(parent, (l = []));
    l.push(child);
  };
  for (const o of owners) for (let i = 0; i + 1 < o.chain.length; i++) addChild(o.chain[i + 1]!, o.chain[i]!);
  for (const [p, id] of home) if (id !== null) addChild(looseByPath.get(p)!.backing, p);

  const byId = new Map(owners.map((o) => [o.id, o]));
  const out = new Map<string, DiskAttribution>();
  for (const o of owners) out.set(o.id, { branches: [], sharedWith: [] });
  for (const [p, id] of home) if (id !== null) out.get(id)!.branches.push(p);
  for (const [id, a] of out) {
    a.branches.sort(cmp);
    const graph = [...byId.get(id)!.chain, ...a.branches];
    for (const p of [...new Set(graph)].sort(cmp)) {
      const readers = new Set<string>();
      for (const other of holders.get(p) ?? []) if (other !== id) readers.add(other);
      for (const c of new Set(children.get(p) ?? [])) for (const other of holders.get(c) ?? []) if (other !== id) readers.add(other);
      if (!readers.size) continue;
      const by = [...readers].map((r) => byId.get(r)!).map((r) => ({ domain: r.domain, vdev: r.vdev }));
      by.sort((x, y) => cmp(x.domain, y.domain) || cmp(x.vdev, y.vdev));
      a.sharedWith.push({ path: p, by });
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Claims by xensnap's naming: a loose image `<dir>/<stem>@<name><ext>` beside a disk's leaf
 * `<dir>/<stem><ext>` is one of that disk's frozen images (frozenImagePath), recorded or not.
 * Claims already in `into` (from records) win. Mutates and returns `into`.
 */
export function claimByName(owners: readonly ChainOwner[], loose: readonly LooseImage[], into: Map<string, string>): Map<string, string> {
  const prefixes = owners.map((o) => {
    const leaf = o.chain[0] ?? '';
    const slash = leaf.lastIndexOf('/');
    const base = leaf.slice(slash + 1);
    const dot = base.lastIndexOf('.');
    return { id: o.id, prefix: `${leaf.slice(0, slash + 1)}${dot > 0 ? base.slice(0, dot) : base}@`, ext: dot > 0 ? base.slice(dot) : '' };
  });
  for (const l of loose) {
    if (into.has(l.path)) continue;
    const m = prefixes.find((p) => l.path.startsWith(p.prefix) && l.path.endsWith(p.ext) && !l.path.slice(p.prefix.length).includes('/'));
    if (m) into.set(l.path, m.id);
  }
  return into;
}
