import type { Disk } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';

/**
 * Why the blktap backend cannot snapshot `disk` with `type`, or null (pure: the planner's matrix
 * and the backend's own check are this one function). Only tap disks on VHD, external only.
 */
export function blktapRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.cdrom) return 'CD-ROM devices are not snapshotted';
  if (disk.backend !== 'tap') return `the blktap backend handles tap disks, not ${disk.backend}`;
  if (disk.format !== 'vhd') return `the blktap backend needs VHD images, not ${disk.format}`;
  if (type === 'internal') return 'VHD has no internal snapshots';
  return null;
}
