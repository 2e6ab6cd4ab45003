import type { HostConfig } from '../model/host-config.js';
import type { HypervisorDriver } from './driver.js';
import { ArgvLauncher, type QemuLauncher } from './qemu/qemu-launcher.js';
import { QemuDriver } from './qemu/qemu-driver.js';
import { XenDriver } from './xen/xen-driver.js';

/**
 * The driver the host config names: xen (xl, libxl's run dir and QMP lock) or qemu. A qemu
 * `launcher` is needed only to restore memory; by default it starts QEMU with the domain's
 * `launch` arguments from the qemu inventory.
 */
export function hostDriver(config: HostConfig, opts: { launcher?: QemuLauncher } = {}): HypervisorDriver {
  if (config.hypervisor === 'xen') return new XenDriver({ runDir: config.xen.runDir, libDir: config.xen.libDir, guestAgents: config.guestAgents });
  return new QemuDriver({ guestAgents: config.guestAgents, launcher: opts.launcher ?? new ArgvLauncher((d) => d.launchArgv ?? null) });
}
