import type { Disk } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';
import { snapshotRefusal } from '../../plan/snapshotability.js';

/** Why the qdisk backend cannot snapshot `disk` with `type`, or null: the one table (plan/snapshotability.ts), for the disks qdisk serves. */
export function qdiskRefusal(disk: Disk, type: SnapshotType): string | null {
  const why = snapshotRefusal(disk, type);
  if (why || disk.backend === 'qdisk' || disk.backend === 'standalone') return why;
  return `backend ${disk.backend} is not served by the qdisk backend`;
}
