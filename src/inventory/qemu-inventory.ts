import { readFile } from 'node:fs/promises';
import { UserInputError } from '../errors.js';
import type { Domain } from '../model/domain.js';
import type { Finding } from '../model/observed.js';
import { skippedFinding, type SkippedDomain } from '../model/skipped-domain.js';
import type { InventoryResult } from './inventory-result.js';
import { domainKey } from './domain-key.js';
import type { LiveProbe } from './live-probe.js';
import { parseQemuInventory, type QemuInventoryEntry } from './parse-qemu-inventory.js';

/**
 * Turns validated inventory entries into domains, asking `probe` for each QMP socket's state:
 * an answer means running or paused, silence means shut off. A probe that fails (throws) leaves
 * the state unknown: that domain is skipped with a finding, never called shut off. Disks are
 * qdisk (standalone QEMU), read-write, never CD-ROMs; `node` only when the inventory names one.
 */
export async function qemuDomains(entries: QemuInventoryEntry[], probe: LiveProbe): Promise<InventoryResult> {
  const domains: Domain[] = [];
  const findings: Finding[] = [];
  const skipped: SkippedDomain[] = [];
  const states = await Promise.all(
    entries.map((e) => probe.status(e.qmp).then((s) => ({ s }), (err: unknown) => ({ err: err instanceof Error ? err.message : String(err) }))),
  );
  entries.forEach((e, i) => {
    const st = states[i]!;
    const disks = e.disks.map((d) => ({
      vdev: d.vdev,
      path: d.path,
      format: d.format,
      backend: 'qdisk' as const,
      readonly: false,
      cdrom: false,
      ...(d.node !== null ? { node: d.node } : {}),
    }));
    const key = domainKey(e.uuid, e.name)!;
    if ('err' in st) {
      const s: SkippedDomain = { name: e.name, uuid: e.uuid, key, cause: 'state-unknown', reason: `cannot tell whether QEMU at ${e.qmp} runs (${st.err})`, disks };
      skipped.push(s);
      findings.push(skippedFinding(s));
      return;
    }
    domains.push({ key, uuid: e.uuid, name: e.name, state: st.s ?? 'shutoff', qmp: e.qmp, ...(e.launch ? { launchArgv: e.launch } : {}), disks });
  });
  return { domains, findings, skipped };
}

/**
 * The `qemu` hypervisor driver's inventory from the inventory YAML at `file`. An unreadable or
 * invalid file rejects with a UserInputError carrying every diagnostic (file:line:col): the
 * inventory is the host's own configuration, and a half-read one could hide a running domain.
 */
export async function qemuInventory(file: string, probe: LiveProbe): Promise<InventoryResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserInputError(`${file}: cannot read the qemu inventory: ${(e as Error).message}`);
  }
  const { entries, diagnostics } = parseQemuInventory(text, file);
  if (diagnostics.length) throw new UserInputError(`${file}: invalid qemu inventory`, diagnostics);
  return qemuDomains(entries, probe);
}
