import type { Disk } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import { qdiskRefusal } from './qdisk/qdisk-backend.js';

/** Mirrors BlktapBackend.refusal (pure). */
function blktapRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.cdrom) return 'CD-ROM devices are not snapshotted';
  if (disk.format !== 'vhd') return `the blktap backend needs VHD images, not ${disk.format}`;
  if (type === 'internal') return 'VHD has no internal snapshots';
  return null;
}

/**
 * The snapshotability matrix the backends actually enforce, for the planner: tap disks go to
 * blktap, everything else to qdisk. Planning with this function means the plan never proposes a
 * create a backend would refuse.
 */
export function backendRefusal(disk: Disk, type: SnapshotType): string | null {
  return disk.backend === 'tap' ? blktapRefusal(disk, type) : qdiskRefusal(disk, type);
}
