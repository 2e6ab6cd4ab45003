import type { DiskDeleteStep, MergeCost } from '../plan/plan-types.js';
import { formatBytes } from '../util/format-bytes.js';

/** One disk's delete step in a few words: what it does, what it moves, the chain depth after (`vdev` false: the snapshot has one disk). */
export function stepText(s: DiskDeleteStep, long: boolean, vdev = true): string {
  const who = vdev ? `${s.vdev} ` : '';
  const temp = long && s.tempBytes > 0 ? `, needs ~${formatBytes(s.tempBytes)} free` : '';
  switch (s.method) {
    case 'delete-tag':
      return `${who}delete tag ${s.tag} (${s.via === 'qmp' ? 'QMP' : 'qemu-img'})`;
    case 'remove':
      return `${who}remove ${s.image} (nothing reads through it), chain depth ${s.chainDepthAfter} after`;
    case 'stream': {
      const hows = [...new Set(s.children.map((c) => c.how))].join('+');
      const into = s.children.length === 1 ? `into its child (${hows})` : `into ${s.children.length} images (${hows})`;
      return `${who}stream ${formatBytes(s.bytesToCopy)} ${into}${temp}, chain depth ${s.chainDepthAfter} after`;
    }
    case 'commit':
      return `${who}commit ${formatBytes(s.bytesToCopy)} from its child${temp}, chain depth ${s.chainDepthAfter} after`;
  }
}

/** A delete's merge as text parts, one per disk; `nothing left on disk` when only the record goes. */
export function mergeText(m: MergeCost, long: boolean): string[] {
  if (m.disks.length === 0) return ['nothing left in the images: only the record goes'];
  return m.disks.map((s) => stepText(s, long, m.disks.length > 1));
}
