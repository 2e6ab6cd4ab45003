import type { Disk } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';

/** Why a disk cannot take a snapshot of a type, or null when it can. Pure. */
export type RefusalFn = (disk: Disk, type: SnapshotType) => string | null;

/**
 * The one snapshotability table: the planner plans with it, and the qdisk and blktap backends
 * enforce it (qdisk-refusal.ts, blktap-refusal.ts add only "not my disk"), so a plan never
 * proposes a create a backend would refuse. DESIGN.md's backend matrix:
 * - CD-ROMs and read-only disks are never snapshotted; phy (block device) disks are refused.
 * - qdisk (and standalone QEMU) + qcow2: internal and external.
 * - qdisk + raw: refused for both. Internal needs qcow2, and an external snapshot would put a
 *   qcow2 overlay at the stable leaf path of a disk the configuration calls raw (a restart would
 *   read the qcow2 header as disk data). A raw *base* under a qcow2 leaf is fine: the disk is qcow2.
 * - qdisk + vhd: refused (QEMU's vpc driver ignores VHD parents).
 * - tap + vhd: external only, and only for an ASCII file name (it becomes the parent name blktap
 *   decodes, which it can only do for ASCII).
 */
export const snapshotRefusal: RefusalFn = (disk, type) => {
  if (disk.cdrom) return 'CD-ROM drives are not snapshotted';
  if (disk.readonly) return 'read-only disks are not snapshotted';
  if (disk.backend === 'phy') return 'phy disks (block devices) cannot be snapshotted';
  if (disk.backend === 'qdisk' || disk.backend === 'standalone') {
    if (disk.format === 'qcow2') return null;
    if (disk.format === 'raw') {
      return type === 'internal'
        ? 'raw images have no internal snapshots (internal snapshots need qcow2)'
        : 'raw leaf: an external snapshot would put a qcow2 overlay at the configured path, so the configuration would have to change the disk format to qcow2';
    }
    if (disk.format === 'vhd') return "qdisk+vhd is refused: QEMU's vpc driver ignores VHD parents";
    return `format ${disk.format} is not supported by the qdisk backend`;
  }
  if (disk.backend === 'tap') {
    if (disk.format !== 'vhd') return `the blktap backend needs VHD images, not ${disk.format}`;
    if (type === 'internal') return 'VHD has no internal snapshots';
    const name = disk.path.slice(disk.path.lastIndexOf('/') + 1);
    if (!/^[\x01-\x7f]*$/.test(name)) return `blktap can only decode ASCII parent names, and the image name ${JSON.stringify(name)} is not ASCII`;
    return null;
  }
  return `backend ${String(disk.backend)} cannot be snapshotted`;
};
