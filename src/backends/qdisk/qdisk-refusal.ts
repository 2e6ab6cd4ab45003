import type { Disk } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';

/**
 * Why the qdisk backend cannot snapshot `disk` with `type`, or null. qcow2: internal and external.
 * raw: refused for both — internal needs qcow2, and an external snapshot would put a qcow2 overlay
 * at the stable leaf path of a disk the configuration calls raw (a restart would read the qcow2
 * header as disk data). A raw *base* under a qcow2 leaf is fine: the disk's format is then qcow2.
 */
export function qdiskRefusal(disk: Disk, type: SnapshotType): string | null {
  if (disk.cdrom) return 'CD-ROM drives are not snapshotted';
  if (disk.readonly) return 'read-only disks are not snapshotted';
  if (disk.backend === 'phy') return 'phy disks (block devices) cannot be snapshotted';
  if (disk.backend !== 'qdisk' && disk.backend !== 'standalone') return `backend ${disk.backend} is not served by the qdisk backend`;
  if (disk.format === 'qcow2') return null;
  if (disk.format === 'raw') {
    return type === 'internal'
      ? 'raw images have no internal snapshots (internal snapshots need qcow2)'
      : 'raw leaf: an external snapshot would put a qcow2 overlay at the configured path, so the configuration would have to change the disk format to qcow2';
  }
  if (disk.format === 'vhd') return "qdisk+vhd is refused: QEMU's vpc driver ignores VHD parents";
  return `format ${disk.format} is not supported by the qdisk backend`;
}

