import { BackendError, UserInputError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { ImgInfo } from './qemu-img.js';
import * as img from './qemu-img.js';
import type { OfflineStep } from './offline-steps.js';

/** Where one internal tag lives in a disk's chain (the leaf, or a frozen image below it). */
export interface TagLocation {
  file: string;
  id: string;
}

/** Every image of the chain holding a snapshot named `tag` (one entry per match). */
export function findTag(chain: ImgInfo[], tag: string): TagLocation[] {
  return chain.flatMap((i) => i.snapshots.filter((s) => s.name === tag).map((s) => ({ file: i.filename, id: s.id })));
}

/**
 * Checks every disk before anything changes: the name must not exist anywhere in the disk's
 * chain (qemu-img allows duplicates and would then delete the wrong one later) and must not be
 * all digits (`qemu-img snapshot -d` takes such a name as a snapshot id first).
 */
export async function validateInternalCreate(disks: Disk[], tag: string): Promise<void> {
  if (/^[0-9]+$/.test(tag)) {
    throw new UserInputError(`internal snapshot name "${tag}" is refused: qemu-img snapshot -d would take a name made only of digits as a snapshot id`);
  }
  for (const disk of disks) {
    const found = findTag(await img.chain(disk.path, { format: disk.format }), tag);
    if (found.length) {
      throw new UserInputError(
        `internal snapshot "${tag}" already exists on disk ${disk.vdev} (in ${found[0]!.file}): snapshot names must be unique on a disk`,
      );
    }
  }
}

/** One `snapshot -c` step per disk, on the leaf (the only image a create may write). */
export function internalCreateSteps(disks: Disk[], tag: string): OfflineStep[] {
  return disks.map((disk) => ({
    name: 'qdisk-offline.internal-create' as const,
    detail: { vdev: disk.vdev, image: disk.path, tag },
    run: async () => {
      await img.snapshotCreate(disk.path, tag);
      // After an earlier `snapshot -c` failed for lack of space, QEMU 7.2 leaks one cluster on the
      // next create; reclaim it so `qemu-img check` stays clean (offline: no guest is waiting).
      if ((await img.check(disk.path, 'qcow2')).leaks > 0) await img.check(disk.path, 'qcow2', { repairLeaks: true });
    },
  }));
}

export function internalRecords(disks: Disk[], tag: string): SnapshotDiskRecord[] {
  return disks.map((d) => ({ vdev: d.vdev, format: d.format, backend: d.backend, tag }));
}
