import type { Disk } from '../model/domain.js';
import type { SnapshotType } from '../model/policy.js';
import { snapshotRefusal } from '../plan/snapshotability.js';

/** The snapshotability table the backends enforce, for callers outside plan/: it is the planner's own. */
export function backendRefusal(disk: Disk, type: SnapshotType): string | null {
  return snapshotRefusal(disk, type);
}
