import type { Disk } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';

/**
 * Why the blktap backend cannot snapshot `disk` with `type`, or null (pure: the planner's matrix
 * and the backend's own check are this one function). Only tap disks on VHD, external only, whose
 * file name is ASCII.
 */
export function blktapRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.cdrom) return 'CD-ROM devices are not snapshotted';
  if (disk.backend !== 'tap') return `the blktap backend handles tap disks, not ${disk.backend}`;
  if (disk.format !== 'vhd') return `the blktap backend needs VHD images, not ${disk.format}`;
  if (type === 'internal') return 'VHD has no internal snapshots';
  // the disk's file name becomes the frozen image's, which children name as their parent
  const name = disk.path.slice(disk.path.lastIndexOf('/') + 1);
  if (!/^[\x01-\x7f]*$/.test(name)) return `blktap can only decode ASCII parent names, and the image name ${JSON.stringify(name)} is not ASCII`;
  return null;
}
