import type { Disk } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';
import { snapshotRefusal } from '../../plan/snapshotability.js';

/** Why the blktap backend cannot snapshot `disk` with `type`, or null: the one table (plan/snapshotability.ts), for tap disks only. */
export function blktapRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.backend !== 'tap' && !disk.cdrom) return `the blktap backend handles tap disks, not ${disk.backend}`;
  return snapshotRefusal(disk, type);
}
