import type { Disk } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import { qdiskRefusal } from './qdisk/qdisk-backend.js';
import { blktapRefusal } from './blktap/blktap-refusal.js';

/**
 * The snapshotability matrix the backends actually enforce, for the planner: tap disks go to
 * blktap, everything else to qdisk. Planning with this function means the plan never proposes a
 * create a backend would refuse.
 */
export function backendRefusal(disk: Disk, type: SnapshotType): string | null {
  return disk.backend === 'tap' ? blktapRefusal(disk, type) : qdiskRefusal(disk, type);
}
