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

/**
 * Why the offline path cannot snapshot this disk with this type, or null when it can.
 * A raw leaf is refused for external snapshots: the fresh overlay at the stable path would be
 * qcow2, so the domain configuration would have to change the disk's format to qcow2 (and a
 * configuration still saying raw would hand the guest the qcow2 header as disk data).
 */
export function offlineRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.cdrom) return 'CD-ROM drives are not snapshotted';
  if (disk.backend !== 'qdisk' && disk.backend !== 'standalone') return `backend ${disk.backend} is not served by the qdisk backend`;
  if (disk.format === 'qcow2') return null;
  if (disk.format === 'raw') {
    return type === 'internal'
      ? 'raw images have no internal snapshots (internal snapshots need qcow2)'
      : 'raw leaf: an external snapshot would put a qcow2 overlay at the configured path, so the configuration would have to change the disk format to qcow2';
  }
  if (disk.format === 'vhd') return "qdisk+vhd is refused: QEMU's vpc driver ignores VHD parents";
  return `format ${disk.format} is not supported by the qdisk backend (qcow2 only)`;
}

/** Throws the refusal of the first disk that cannot be snapshotted offline with `type`. */
export function assertSnapshotable(disks: Disk[], type: SnapshotType): void {
  for (const disk of disks) {
    const why = offlineRefusal(disk, type);
    if (why) throw new BackendError(`cannot take an ${type} snapshot of disk ${disk.vdev} (${disk.path}): ${why}`);
  }
}

/** The domain's disk with this vdev; a record naming a disk the domain lost is refused. */
export function diskOf(domain: Domain, vdev: string): Disk {
  const disk = domain.disks.find((d) => d.vdev === vdev);
  if (!disk) throw new BackendError(`domain "${domain.name}" has no disk ${vdev} any more; the snapshot's images cannot be located`);
  return disk;
}
