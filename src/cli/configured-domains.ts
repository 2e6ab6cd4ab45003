import type { Disk, Domain } from '../model/domain.js';
import type { HostConfig } from '../model/host-config.js';
import { readTextFile } from '../yaml/read-text-file.js';
import { parseQemuInventory } from '../inventory/parse-qemu-inventory.js';
import { readXlConfigs } from '../inventory/read-xl-configs.js';

/**
 * The domains the host config names, as their configuration describes them (qemu inventory, or
 * the xl.cfg files of xen.configDir), without asking any hypervisor: what `validate` can say
 * about policies and domains before anything runs. State unknown: reported as shut off.
 */
export async function configuredDomains(config: HostConfig): Promise<Domain[]> {
  if (config.hypervisor === 'qemu') {
    const file = config.qemu.inventory;
    if (file === null) return [];
    const read = await readTextFile(file);
    if (!read.ok) return [];
    return parseQemuInventory(read.text, file).entries.map((e) => ({
      key: e.uuid ?? `name-${e.name}`,
      uuid: e.uuid,
      name: e.name,
      state: 'shutoff' as const,
      disks: e.disks.map((d): Disk => ({ vdev: d.vdev, path: d.path, format: d.format, backend: 'standalone', readonly: false, cdrom: false })),
    }));
  }
  const { configs } = await readXlConfigs(config.xen.configDir);
  return configs
    .filter((c) => c.name !== null && c.diagnostics.length === 0)
    .map((c) => ({ key: c.uuid ?? `name-${c.name}`, uuid: c.uuid, name: c.name!, state: 'shutoff' as const, disks: c.disks }));
}
