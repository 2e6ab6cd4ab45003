import type { Domain } from '../model/domain.js';
import type { HostConfig } from '../model/host-config.js';
import type { Observed } from '../model/observed.js';
import { loadInventory } from '../inventory/load-inventory.js';
import { qmpLiveProbe } from '../hypervisor/qemu/qmp-live-probe.js';
import { observe } from './observe.js';
import { qmpImageReader } from './qmp-image-reader.js';
import { nativeImageReader } from './native-image-reader.js';
import type { QmpClient } from '../qmp/qmp-client.js';
import { hostDriver } from '../hypervisor/host-driver.js';
import { readDomainRecords } from '../state/index.js';
import { UserInputError } from '../errors.js';
import { attachCapacity } from './free-space.js';
import { guestAgentFacts } from './guest-agent-facts.js';
import { findSkipped, skippedRefusal } from '../model/skipped-domain.js';

/** How observeHost treats the domain names it is given. */
export interface ObserveHostOptions {
  /** The command, for messages about a named domain (`pin: domain web-3 is skipped: …`). */
  command?: string;
  /**
   * A named domain that is skipped is fine (list, plan): it is in `observed.skipped`, not in
   * `domains`. Without this it is refused, as commands that change a domain must refuse it.
   */
  allowSkipped?: boolean;
}

/**
 * Inventory + observation of this host, optionally narrowed to some domain names. A name that
 * is no domain here is a UserInputError; so is a skipped one unless `allowSkipped`.
 */
export async function observeHost(config: HostConfig, onlyNames: string[] = [], opts: ObserveHostOptions = {}): Promise<{ domains: Domain[]; observed: Observed }> {
  const inv = await loadInventory(config, { probe: qmpLiveProbe() });
  let domains = inv.domains;
  let skipped = inv.skipped;
  if (onlyNames.length) {
    const prefix = opts.command ? `${opts.command}: ` : '';
    const unknown = onlyNames.filter((n) => !domains.some((d) => d.name === n) && !findSkipped(skipped, n));
    if (unknown.length) throw new UserInputError(`${prefix}no domain named ${unknown.map((n) => `"${n}"`).join(', ')} on this host`);
    const refused = onlyNames.map((n) => (domains.some((d) => d.name === n) ? undefined : findSkipped(skipped, n))).find((s) => s !== undefined);
    if (refused && !opts.allowSkipped) throw new UserInputError(skippedRefusal(opts.command ?? 'xensnap', refused));
    domains = domains.filter((d) => onlyNames.includes(d.name));
    skipped = skipped.filter((s) => onlyNames.includes(s.name));
  }
  const memory = new Map<string, number>();
  // every QMP connection goes through the driver: under Xen, libxl's lock for that domain
  const driver = hostDriver(config);
  const observed = await observe(domains, {
    reader: nativeImageReader,
    records: { read: (key) => readDomainRecords(config.stateDir, key) },
    concurrency: config.limits.concurrency * 2,
    hostDomains: inv.domains,
    live: async (domain) => {
      // only qdisk disks are read through QEMU: a tap-only Xen domain may have no device model
      if (!domain.qmp || !domain.disks.some((d) => d.backend === 'qdisk' || d.backend === 'standalone')) return null;
      const client = await driver.qmp(domain);
      try {
        const mem = await guestMemoryBytes(client);
        if (mem !== null) memory.set(domain.key, mem);
        return { reader: await qmpImageReader(client, nativeImageReader), close: () => client.close() };
      } catch (err) {
        client.close();
        throw err;
      }
    },
  });
  for (const od of observed.domains) {
    const m = memory.get(od.domain.key);
    if (m !== undefined) od.memoryBytes = m;
  }
  // free space is measured after the chains are read, so every image's filesystem is known
  await attachCapacity(observed, config.stateDir, config.limits);
  observed.findings.unshift(...inv.findings.filter((f) => !onlyNames.length || (f.domain && onlyNames.includes(f.domain.name))));
  observed.skipped = skipped;
  observed.guestAgents = await guestAgentFacts(domains, config.guestAgents);
  return { domains, observed };
}

/**
 * The guest's memory as its QEMU reports it (`query-memory-size-summary`: base + hotplugged),
 * the size of a live snapshot's memory image; null when the QEMU cannot say.
 */
export async function guestMemoryBytes(client: QmpClient): Promise<number | null> {
  const r = await client
    .execute<{ 'base-memory'?: number; 'plugged-memory'?: number }>('query-memory-size-summary', undefined, { timeoutMs: 5000 })
    .catch(() => null);
  const base = r?.['base-memory'];
  return typeof base === 'number' && base > 0 ? base + (r?.['plugged-memory'] ?? 0) : null;
}
