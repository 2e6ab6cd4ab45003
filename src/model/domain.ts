import type { DomainState } from './policy.js';

export type DiskFormat = 'qcow2' | 'vhd' | 'raw' | 'qed' | 'empty' | string;
export type DiskBackend = 'qdisk' | 'tap' | 'phy' | 'standalone';

/** One virtual disk of a domain as its configuration names it. `path` is the stable leaf path. */
export interface Disk {
  vdev: string;
  path: string;
  format: DiskFormat;
  backend: DiskBackend;
  readonly: boolean;
  /** CD-ROM devices are never snapshot targets. */
  cdrom: boolean;
  /** QMP node name of the top (format) node when known (running domains, or configured). */
  node?: string;
  /**
   * Xen qdisk: how xen-block opened the image (libxl `direct_io_safe` → cache.direct + aio=native,
   * `discard_enable` → discard=unmap); nodes xensnap adds keep them. Absent: not known.
   */
  qdiskOptions?: { directIo: boolean; discard: boolean };
}

/**
 * A domain found by the inventory. `key` is the state-folder key: the UUID when the
 * configuration fixes one, otherwise `name-<name>`; it is always a safe path component.
 */
export interface Domain {
  key: string;
  uuid: string | null;
  name: string;
  state: DomainState;
  disks: Disk[];
  /** Xen domid while running/paused. */
  domid?: number;
  /**
   * Xen, running/paused: the UUID of this instance as `xl list -l` prints it. libxl names its
   * userdata and lock files with it (`uuid` is null when no xl.cfg fixes one; this is new at every start).
   */
  instanceUuid?: string;
  /** QMP socket of the device model / standalone QEMU when known. */
  qmp?: string;
  /** xl.cfg the domain was read from (xen) when known. */
  configFile?: string;
  /** Standalone QEMU: the arguments that start it (qemu inventory `launch`), to restore memory. */
  launchArgv?: string[];
}
