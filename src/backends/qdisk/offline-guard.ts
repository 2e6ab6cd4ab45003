import { qdiskRefusal } from './qdisk-refusal.js';
import { BackendError } from '../../errors.js';
import type { Disk, Domain } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';

/**
 * Refuses any qemu-img write unless the domain is shut off. Xen's qdisk opens images with
 * locking off, so qemu-img's own image locking would not stop a write into a disk in use:
 * this check is the only protection.
 */
export function assertShutOff(domain: Domain, action: string): void {
  if (domain.state === 'shutoff') return;
  throw new BackendError(
    `cannot ${action} of domain "${domain.name}" with qemu-img: the domain is ${domain.state}; ` +
      `qemu-img may only change images of a shut-off domain (Xen's qdisk opens images with locking off, so nothing else stops a conflicting write)`,
  );
}

/** Throws the refusal of the first disk that cannot be snapshotted offline with `type`. */
export function assertSnapshotable(disks: Disk[], type: SnapshotType): void {
  for (const disk of disks) {
    const why = qdiskRefusal(disk, type);
    if (why) throw new BackendError(`cannot take an ${type} snapshot of disk ${disk.vdev} (${disk.path}): ${why}`);
  }
}

/** The domain's disk with this vdev; a record naming a disk the domain lost is refused. */
export function diskOf(domain: Domain, vdev: string): Disk {
  const disk = domain.disks.find((d) => d.vdev === vdev);
  if (!disk) throw new BackendError(`domain "${domain.name}" has no disk ${vdev} any more; the snapshot's images cannot be located`);
  return disk;
}
