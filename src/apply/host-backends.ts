import type { HostConfig } from '../model/host-config.js';
import type { SnapshotBackend } from '../backends/backend.js';
import { QdiskBackend } from '../backends/qdisk/qdisk-backend.js';
import { BlktapBackend } from '../backends/blktap/blktap-backend.js';
import { QmpClient } from '../qmp/qmp-client.js';
import { BackendError } from '../errors.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import { hostDriver } from '../hypervisor/host-driver.js';

/**
 * The backends of this host. Under Xen, qdisk opens images with locking off, so the nodes
 * xensnap adds must match (`locking: 'off'`), and the device model's QMP socket is taken under
 * libxl's flock (the xen driver's `qmp`); a standalone QEMU keeps its locks.
 */
export function hostBackends(config: HostConfig, driver: HypervisorDriver = hostDriver(config)): Record<'qdisk' | 'blktap', SnapshotBackend> {
  return {
    qdisk: new QdiskBackend({
      connect: async (domain) => {
        if (config.hypervisor === 'xen') return driver.qmp(domain);
        if (!domain.qmp) throw new BackendError(`domain ${domain.name} is ${domain.state} but has no known QMP socket`);
        return QmpClient.connect(domain.qmp, { timeoutMs: 10_000 });
      },
      online: { locking: config.hypervisor === 'xen' ? 'off' : 'auto' },
    }),
    blktap: new BlktapBackend(),
  };
}
