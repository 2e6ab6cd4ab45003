import type { DiskBackend } from '../../model/domain.js';

/** How to tell whether a target is a block device; defaults to "path is under /dev/". */
export interface BackendProbe {
  isBlockDevice?: (path: string) => boolean;
}

/**
 * The backend libxl (Xen 4.13 and later, on Linux) uses for a disk of a shut-off domain:
 * - `backendtype=` wins when given. libxl refuses phy for anything but raw, qdisk with a
 *   `script=`, and tapdisk serves only vhd and raw, so those combinations are errors here too.
 * - `script=` (or an iscsi:/nbd:/enbd:/drbd: prefix): phy; the script makes the block device.
 * - raw on a block device: phy. libxl on Linux accepts phy only for block devices, so a raw
 *   *file* goes to qdisk (as in libxl's own saved config for test-pv.img).
 * - everything else (qcow, qcow2, vhd, qed files; empty CD-ROM drives): qdisk.
 * The deprecated `tap:`, `tap2:`, `aio:`, `phy:` ... prefixes do not pick a backend: libxl
 * strips and ignores them (xl-disk-configuration(5)), and since 4.13 libxl never picks tap on
 * its own. Claiming tap for a disk that libxl will hand to QEMU would let a VHD chain be built
 * that QEMU's vpc driver reads without its parents, so only an explicit backendtype=tap is tap.
 * A running domain's backend is never inferred: `xl list -l` reports the real one.
 */
export function chooseBackend(
  d: { backendtype: DiskBackend | null; script: string | null; format: string; path: string },
  probe: BackendProbe = {},
): { ok: true; value: DiskBackend } | { ok: false; error: string } {
  if (d.backendtype) {
    if (d.backendtype === 'phy' && d.format !== 'raw') return { ok: false, error: `backendtype=phy supports only format raw, not ${d.format}` };
    if (d.backendtype === 'qdisk' && d.script) return { ok: false, error: 'backendtype=qdisk cannot use script=' };
    if (d.backendtype === 'tap' && d.format !== 'vhd' && d.format !== 'raw') {
      return { ok: false, error: `backendtype=tap supports only formats vhd and raw, not ${d.format}` };
    }
    return { ok: true, value: d.backendtype };
  }
  if (d.script) {
    if (d.format !== 'raw') return { ok: false, error: `script= needs format raw, not ${d.format}` };
    return { ok: true, value: 'phy' };
  }
  if (d.path === '') return { ok: true, value: 'qdisk' };
  const isBlock = probe.isBlockDevice ?? ((p: string) => p.startsWith('/dev/'));
  if (d.format === 'raw' && isBlock(d.path)) return { ok: true, value: 'phy' };
  return { ok: true, value: 'qdisk' };
}
