import type { Domain } from '../model/domain.js';
import type { SnapshotMode, SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import type { LiveState } from '../hypervisor/driver.js';

/** The snapshot a revert goes back to, as the record (or observation, for a foreign one) describes it. */
export interface RevertTarget {
  name: string;
  type: SnapshotType;
  mode: SnapshotMode;
  memoryFile: string | null;
  disks: SnapshotDiskRecord[];
}

/** What one disk undergoes: apply an internal tag offline, a fresh leaf over a frozen image, or QEMU's snapshot-load. */
export interface RevertDiskStep {
  vdev: string;
  leaf: string;
  format: 'qcow2' | 'vhd';
  action: 'apply-tag' | 'fresh-leaf' | 'load-tag';
  /** The tag (internal) or the frozen image (external). */
  source: string;
}

/**
 * A revert, decided before anything changes. Always: `refusal` null means every disk of the target
 * maps to a disk of the domain and every step below can be attempted; `after` is the state the
 * domain is left in (disk-only snapshots leave it shut off).
 */
export interface RevertPlan {
  domain: string;
  snapshot: string;
  type: SnapshotType;
  preRevert: string;
  stopFirst: boolean;
  disks: RevertDiskStep[];
  memory: { kind: 'file'; file: string } | { kind: 'internal'; tag: string } | null;
  after: LiveState;
  refusal: string | null;
  notes: string[];
}

/** `pre-revert-YYYYMMDDTHHMMSSZ` for `now` (UTC). */
export function preRevertName(now: Date): string {
  return `pre-revert-${now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
}

/** Pure: decides the revert of `domain` (currently `live`) to `target`. */
export function planRevert(input: { domain: Domain; live: LiveState; target: RevertTarget; stop: boolean; paused: boolean; now: Date; hypervisor: 'xen' | 'qemu' }): RevertPlan {
  const { domain, target } = input;
  const notes: string[] = [];
  let refusal: string | null = null;
  const refuse = (why: string) => void (refusal ??= why);
  if (input.live !== 'shutoff' && !input.stop) {
    refuse(`domain ${domain.name} is ${input.live}; a revert discards its current running state, so pass --stop to stop it first`);
  }
  let memory: RevertPlan['memory'] = null;
  if (target.mode === 'live') {
    if (target.memoryFile) memory = { kind: 'file', file: target.memoryFile };
    else if (target.type === 'internal' && input.hypervisor === 'qemu') memory = { kind: 'internal', tag: target.name };
    else refuse(`snapshot ${target.name} is live but its record names no memory file`);
  } else if (input.paused) {
    notes.push(`--paused has no effect: ${target.name} is a disk-only snapshot (no memory), so ${domain.name} stays shut off`);
  }
  if (!target.disks.length) refuse(`snapshot ${target.name} covers no disk`);
  const disks: RevertDiskStep[] = [];
  for (const rec of target.disks) {
    const disk = domain.disks.find((d) => d.vdev === rec.vdev);
    if (!disk) {
      refuse(`snapshot ${target.name} has disk ${rec.vdev}, which domain ${domain.name} no longer has`);
      continue;
    }
    const format = disk.format === 'vhd' ? 'vhd' : 'qcow2';
    if (target.type === 'internal') {
      if (!rec.tag) refuse(`snapshot ${target.name} names no internal tag for disk ${rec.vdev}`);
      disks.push({ vdev: rec.vdev, leaf: disk.path, format, action: memory?.kind === 'internal' ? 'load-tag' : 'apply-tag', source: rec.tag ?? '' });
    } else {
      if (!rec.frozenPath) refuse(`snapshot ${target.name} names no frozen image for disk ${rec.vdev}`);
      disks.push({ vdev: rec.vdev, leaf: disk.path, format, action: 'fresh-leaf', source: rec.frozenPath ?? '' });
    }
  }
  return {
    domain: domain.name,
    snapshot: target.name,
    type: target.type,
    preRevert: preRevertName(input.now),
    stopFirst: input.live !== 'shutoff' && input.stop,
    disks,
    memory,
    after: memory ? (input.paused ? 'paused' : 'running') : 'shutoff',
    refusal,
    notes,
  };
}

/** The confirmation text: every change, in order, in plain words. */
export function renderRevertPlan(p: RevertPlan): string {
  const lines = [`Revert domain ${p.domain} to snapshot ${p.snapshot} (${p.type}${p.memory ? ', with memory' : ', disks only'}):`];
  if (p.stopFirst) lines.push(`  1. STOP ${p.domain} NOW, like pulling the plug: its running state (memory, unsaved data) is DISCARDED`);
  lines.push(`  ${lines.length}. keep the current disks as snapshot ${p.preRevert} ("state before revert to ${p.snapshot}")`);
  for (const d of p.disks) {
    const what =
      d.action === 'fresh-leaf' ? `new empty leaf at ${d.leaf} over ${d.source}` : d.action === 'apply-tag' ? `apply internal snapshot ${d.source} to ${d.leaf}` : `QEMU loads internal snapshot ${d.source} into ${d.leaf}`;
    lines.push(`  ${lines.length}. ${d.vdev}: ${what}`);
  }
  if (p.memory) {
    const src = p.memory.kind === 'file' ? `memory from ${p.memory.file}` : `memory from internal snapshot ${p.memory.tag}`;
    lines.push(`  ${lines.length}. start ${p.domain} with its ${src} and leave it ${p.after}`);
  } else {
    lines.push(`  ${lines.length}. leave ${p.domain} shut off`);
  }
  for (const n of p.notes) lines.push(`note: ${n}`);
  if (p.refusal) lines.push(`refused: ${p.refusal}`);
  return `${lines.join('\n')}\n`;
}
