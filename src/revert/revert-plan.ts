import { basename, dirname, join } from 'node:path';
import type { Domain } from '../model/domain.js';
import type { SnapshotMode, SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import type { LiveState } from '../hypervisor/driver.js';
import { frozenImagePath } from '../backends/backend.js';
import type { RevertDiskPlan, RevertMemory, RevertOpDetail } from './revert-steps.js';

/** The snapshot a revert goes back to, as the record (or observation, for a foreign one) describes it. */
export interface RevertTarget {
  name: string;
  type: SnapshotType;
  mode: SnapshotMode;
  memoryFile: string | null;
  disks: SnapshotDiskRecord[];
}

/** Where one disk's target lives, as locate-target.ts found it: the image holding the tag, or the frozen image. */
export interface LocatedDisk {
  vdev: string;
  image: string;
}

/**
 * A revert, decided before anything changes. Always: `refusal` null means every disk of the
 * target maps to a disk of the domain, every target image was found, and every step can be
 * attempted; `after` is the state the domain is left in (disk-only snapshots leave it shut off).
 */
export interface RevertPlan extends RevertOpDetail {
  domain: string;
  refusal: string | null;
  notes: string[];
}

/** `pre-revert-YYYYMMDDTHHMMSSZ` for `now` (UTC). */
export function preRevertName(now: Date): string {
  return `pre-revert-${now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
}

/** Where a disk's new leaf is built, next to the leaf (same file system, for the rename). */
export function revertLeafTemp(leaf: string): string {
  return join(dirname(leaf), `.${basename(leaf)}.xensnap-revert`);
}

/** Where the tag's own clusters are kept while a tag leaf is built. */
export function revertScratch(leaf: string): string {
  return join(dirname(leaf), `.${basename(leaf)}.xensnap-revert-tag`);
}

export interface PlanRevertInput {
  domain: Domain;
  live: LiveState;
  target: RevertTarget;
  /** Per target disk, where its tag or frozen image lives (missing: not found, see `problems`). */
  located: LocatedDisk[];
  /** What locating the target found wrong (each one a refusal). */
  problems: string[];
  stop: boolean;
  paused: boolean;
  now: Date;
  hypervisor: 'xen' | 'qemu';
}

/**
 * Pure: decides the revert of `domain` (currently `live`) to `target`. The pre-revert snapshot
 * keeps the current disks exactly: an internal tag in each leaf when every disk's target tag is in
 * its leaf (the tag is then applied in place); otherwise each leaf is frozen (external) and gets a
 * fresh leaf over the image holding its target — a leaf whose content is the tag's for internal
 * targets, an empty overlay for external ones. No target image is ever changed.
 */
export function planRevert(input: PlanRevertInput): RevertPlan {
  const { domain, target } = input;
  const notes: string[] = [];
  const problems: string[] = [];
  const refuse = (why: string) => void problems.push(why);
  if (input.live !== 'shutoff' && !input.stop) {
    refuse(`domain ${domain.name} is ${input.live}; a revert discards its current running state, so pass --stop to stop it first`);
  }
  problems.push(...input.problems);
  let memory: RevertMemory | null = null;
  if (target.mode === 'live') {
    if (target.memoryFile) memory = { kind: 'file', file: target.memoryFile };
    else if (target.type === 'internal' && input.hypervisor === 'qemu') memory = { kind: 'internal', tag: target.name };
    else refuse(`snapshot ${target.name} is live but its record names no memory file`);
  } else if (input.paused) {
    notes.push(`--paused has no effect: ${target.name} is a disk-only snapshot (no memory), so ${domain.name} stays shut off`);
  }
  if (!target.disks.length) refuse(`snapshot ${target.name} covers no disk`);
  const preRevert = preRevertName(input.now);
  const found = target.disks.flatMap((rec) => {
    const disk = domain.disks.find((d) => d.vdev === rec.vdev);
    if (!disk) {
      refuse(`snapshot ${target.name} has disk ${rec.vdev}, which domain ${domain.name} no longer has`);
      return [];
    }
    const at = input.located.find((l) => l.vdev === rec.vdev);
    return at ? [{ rec, disk, image: at.image }] : [];
  });
  const allInLeaf = target.type === 'internal' && found.every((f) => f.image === f.disk.path);
  const preRevertType: SnapshotType = allInLeaf ? 'internal' : 'external';
  if (memory?.kind === 'internal' && !allInLeaf) {
    const below = found.filter((f) => f.image !== f.disk.path).map((f) => `${f.rec.vdev} (in ${f.image})`);
    refuse(`the memory of internal snapshot ${target.name} can only be loaded from the active image of every disk, but it lives below the leaf on ${below.join(', ')}`);
  }
  const disks: RevertDiskPlan[] = found.map(({ rec, disk, image }) => {
    const format = disk.format === 'vhd' ? 'vhd' : 'qcow2';
    const base = { vdev: rec.vdev, leaf: disk.path, format } as const;
    if (target.type === 'external') return { ...base, method: 'fresh-leaf', tag: null, source: image, temp: revertLeafTemp(disk.path), scratch: null };
    const tag = rec.tag ?? target.name;
    if (allInLeaf) return { ...base, method: memory?.kind === 'internal' ? 'load-tag' : 'apply-tag', tag, source: null, temp: null, scratch: null };
    // Frozen with the others, a leaf holding the tag itself becomes the pre-revert image: the tag is read from there.
    const source = image === disk.path ? frozenImagePath(disk.path, preRevert) : image;
    return { ...base, method: 'tag-leaf', tag, source, temp: revertLeafTemp(disk.path), scratch: revertScratch(disk.path) };
  });
  return {
    domain: domain.name,
    target: target.name,
    targetType: target.type,
    preRevert,
    preRevertType,
    stopFirst: input.live !== 'shutoff' && input.stop,
    stateBefore: input.live,
    disks,
    memory,
    after: memory ? (input.paused ? 'paused' : 'running') : 'shutoff',
    refusal: problems[0] ?? null,
    notes: [...notes, ...problems.slice(1).map((p) => `also refused: ${p}`)],
  };
}

/** The confirmation text: every change, in order, in plain words (a refusal is the caller's error). */
export function renderRevertPlan(p: RevertPlan): string {
  const lines = [`Revert domain ${p.domain} to snapshot ${p.target} (${p.targetType}${p.memory ? ', with memory' : ', disks only'}):`];
  const step = (text: string) => lines.push(`  ${lines.length}. ${text}`);
  if (p.stopFirst) step(`STOP ${p.domain} NOW, like pulling the plug: its running state (memory, unsaved data) is DISCARDED`);
  step(`keep the current disks as snapshot ${p.preRevert} ("state before revert to ${p.target}", ${p.preRevertType})`);
  for (const d of p.disks) {
    const what =
      d.method === 'fresh-leaf' ? `new empty leaf at ${d.leaf} over ${d.source}`
      : d.method === 'tag-leaf' ? `new leaf at ${d.leaf} over ${d.source}, holding internal snapshot ${d.tag} (${d.source} is not changed)`
      : d.method === 'apply-tag' ? `apply internal snapshot ${d.tag} to ${d.leaf}`
      : `QEMU loads internal snapshot ${d.tag} into ${d.leaf}`;
    step(`${d.vdev}: ${what}`);
  }
  if (p.memory) {
    const src = p.memory.kind === 'file' ? `memory from ${p.memory.file}` : `memory from internal snapshot ${p.memory.tag}`;
    step(`start ${p.domain} with its ${src} and leave it ${p.after}`);
  } else step(`leave ${p.domain} shut off`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
