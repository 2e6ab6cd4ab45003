import type { InventoryResult } from './inventory-result.js';
import { mergeXenInventory } from './merge-xen-inventory.js';
import { readXlConfigs } from './read-xl-configs.js';
import { parseXlListLong, parseXlListTable } from './xl-list.js';
import type { XlRunner } from './xl-runner.js';

/**
 * The `xen` hypervisor driver's inventory: live domains from `xl list -l` (configuration) and
 * `xl list` (state flags, which the JSON does not carry), shut-off domains from the xl.cfg
 * files in `configDir` (rules in read-xl-configs.ts and merge-xen-inventory.ts). A bad xl.cfg
 * is a finding. If xl itself fails or prints something unreadable this rejects with a
 * BackendError: without xl's answer no domain can safely be called shut off.
 */
export async function xenInventory(opts: { configDir: string; runDir: string; xl: XlRunner }): Promise<InventoryResult> {
  const long = parseXlListLong(await opts.xl(['list', '-l']));
  const rows = parseXlListTable(await opts.xl(['list']));
  const { configs, findings } = await readXlConfigs(opts.configDir);
  const merged = mergeXenInventory({ long, rows, configs, runDir: opts.runDir });
  return { domains: merged.domains, findings: [...findings, ...merged.findings], skipped: merged.skipped };
}
