import { UserInputError } from '../errors.js';
import type { HostConfig } from '../model/host-config.js';
import type { InventoryResult } from './inventory-result.js';
import type { LiveProbe } from './live-probe.js';
import { qemuInventory } from './qemu-inventory.js';
import { xenInventory } from './xen-inventory.js';
import { systemXl, type XlRunner } from './xl-runner.js';

export type { LiveProbe } from './live-probe.js';
export type { XlRunner } from './xl-runner.js';

/**
 * Finds every domain of this host through the configured hypervisor driver: `xen` (xl and the
 * xl.cfg files; `deps.xl` defaults to the real `xl` on PATH) or `qemu` (the inventory YAML and
 * `deps.probe`). Domains come sorted by name (then key); domains that exist but cannot be acted
 * on are in `skipped`, with why. Rejects with UserInputError for a bad qemu inventory and
 * BackendError when xl fails; everything else is a finding.
 */
export async function loadInventory(config: HostConfig, deps: { probe: LiveProbe; xl?: XlRunner }): Promise<InventoryResult> {
  let result: InventoryResult;
  if (config.hypervisor === 'xen') {
    result = await xenInventory({ configDir: config.xen.configDir, runDir: config.xen.runDir, xl: deps.xl ?? systemXl() });
  } else {
    if (config.qemu.inventory === null) {
      const src = config.source;
      const msg = 'hypervisor is qemu but qemu.inventory is not set';
      throw new UserInputError(msg, src ? [{ file: src.file, line: src.line, col: src.col, path: '/qemu/inventory', message: msg }] : []);
    }
    result = await qemuInventory(config.qemu.inventory, deps.probe);
  }
  const domains = [...result.domains].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { domains, findings: result.findings, skipped: result.skipped };
}
