import type { Disk } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';

/** Why a disk cannot take a snapshot of a type, or null when it can. Pure. */
export type RefusalFn = (disk: Disk, type: SnapshotType) => string | null;

/**
 * DESIGN.md's backend matrix: qdisk (and standalone QEMU) + qcow2 → internal or external;
 * qdisk + raw → external only (a qcow2 overlay); tap + vhd → external only; qdisk + vhd refused
 * (QEMU's vpc driver ignores VHD parents); phy refused; anything else refused.
 */
export const defaultRefusal: RefusalFn = (disk, type) => {
  const fmt = disk.format;
  if (disk.backend === 'phy') return 'phy (block device) disks cannot be snapshotted';
  if (disk.backend === 'qdisk' || disk.backend === 'standalone') {
    if (fmt === 'qcow2') return null;
    if (fmt === 'raw') return type === 'internal' ? 'internal snapshots need qcow2; a raw image takes external snapshots only' : null;
    if (fmt === 'vhd') return "qdisk + vhd is refused: QEMU's vpc driver ignores VHD parents";
    return `qdisk cannot snapshot ${fmt} images`;
  }
  if (disk.backend === 'tap') {
    if (fmt !== 'vhd') return `blktap snapshots need vhd images, not ${fmt}`;
    return type === 'internal' ? 'VHD has no internal snapshots; use type external' : null;
  }
  return `backend ${String(disk.backend)} cannot be snapshotted`;
};
