import { pathExists } from '../util/path-exists.js';
import * as img from '../backends/qdisk/qemu-img.js';
import { readVhdChain } from '../formats/vhd/vhd-chain.js';
import type { Domain } from '../model/domain.js';
import type { LocatedDisk, RevertTarget } from './revert-plan.js';


/** Images a disk's tags may live in besides its current chain: side branches left by reverts. */
export type KnownImages = Map<string, string[]>;

/** Every image of the domain's observed snapshots, per vdev (frozen images and tag holders). */
export function knownImagesOf(snapshots: readonly { domainKey: string; disks: readonly { vdev: string; frozenPath?: string; image?: string }[] }[], domainKey: string): KnownImages {
  const out: KnownImages = new Map();
  for (const s of snapshots) {
    if (s.domainKey !== domainKey) continue;
    for (const d of s.disks) {
      for (const p of [d.frozenPath, d.image]) if (p) out.set(d.vdev, [...new Set([...(out.get(d.vdev) ?? []), p])]);
    }
  }
  return out;
}

async function tagsIn(path: string): Promise<{ path: string; names: string[]; ids: { id: string; name: string }[] } | null> {
  try {
    const i = await img.info(path, { format: 'qcow2', shareRw: true });
    return { path, names: i.snapshots.map((s) => s.name), ids: i.snapshots.map((s) => ({ id: s.id, name: s.name })) };
  } catch {
    return null;
  }
}

/**
 * Finds the image holding internal tag `tag` of one disk: the record's own hint first, then the
 * leaf's chain, then the disk's other known images (side branches). The first of these places
 * that has the tag decides; the tag found twice there is ambiguous and refused.
 */
async function locateTag(leaf: string, tag: string, hint: string | undefined, known: string[], vdev: string): Promise<LocatedDisk | string> {
  const chain = await img.chain(leaf, { format: 'qcow2', shareRw: true }).catch((e: Error) => e);
  if (chain instanceof Error) return `disk ${vdev}: cannot read the chain of ${leaf}: ${chain.message}`;
  const chainPaths = chain.map((c) => c.filename);
  for (const group of [hint ? [hint] : [], chainPaths, known.filter((k) => !chainPaths.includes(k))]) {
    const holders = [];
    for (const p of group) {
      const t = await tagsIn(p);
      if (t && t.names.includes(tag)) holders.push(t);
    }
    if (holders.length > 1) return `disk ${vdev}: internal snapshot "${tag}" is in ${holders.map((h) => h.path).join(' and ')}; which one is meant is ambiguous`;
    const h = holders[0];
    if (!h) continue;
    if (h.names.filter((n) => n === tag).length > 1) return `disk ${vdev}: internal snapshot "${tag}" appears more than once in ${h.path}`;
    const byId = h.ids.find((x) => x.id === tag && x.name !== tag);
    if (byId) return `disk ${vdev}: "${tag}" is also the id of internal snapshot "${byId.name}" in ${h.path}, which qemu-img would take instead`;
    return { vdev, image: h.path };
  }
  return `disk ${vdev}: internal snapshot "${tag}" is in no image of the disk (the chain of ${leaf}${known.length ? ` and ${known.length} other known image${known.length === 1 ? '' : 's'}` : ''})`;
}

/** Checks an external snapshot's frozen image: present, not the leaf, and its whole chain readable. */
async function locateFrozen(leaf: string, frozen: string | undefined, format: string, vdev: string): Promise<LocatedDisk | string> {
  if (!frozen) return `disk ${vdev}: the snapshot names no frozen image`;
  if (frozen === leaf) return `disk ${vdev}: the snapshot's image ${frozen} is the leaf itself`;
  if (!(await pathExists(frozen))) return `disk ${vdev}: the snapshot's image ${frozen} is missing`;
  try {
    if (format === 'vhd') await readVhdChain(frozen);
    else await img.chain(frozen, { format: 'qcow2', shareRw: true });
  } catch (err) {
    return `disk ${vdev}: the snapshot's image ${frozen} cannot be read with its chain: ${(err as Error).message}`;
  }
  return { vdev, image: frozen };
}

/**
 * Where every disk of the target lives, read-only: the image holding each internal tag (in the
 * chain or on a side branch), or each checked frozen image. What is not found is a problem.
 */
export async function locateTarget(domain: Domain, target: RevertTarget, known: KnownImages): Promise<{ located: LocatedDisk[]; problems: string[] }> {
  const located: LocatedDisk[] = [];
  const problems: string[] = [];
  for (const rec of target.disks) {
    const disk = domain.disks.find((d) => d.vdev === rec.vdev);
    if (!disk) continue; // planRevert refuses it
    const r = target.type === 'internal'
      ? disk.format === 'qcow2' ? await locateTag(disk.path, rec.tag ?? target.name, rec.image, known.get(rec.vdev) ?? [], rec.vdev) : `disk ${rec.vdev}: internal snapshots need qcow2, not ${disk.format}`
      : await locateFrozen(disk.path, rec.frozenPath, disk.format, rec.vdev);
    if (typeof r === 'string') problems.push(r);
    else located.push(r);
  }
  return { located, problems };
}
