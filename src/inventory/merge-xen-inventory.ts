import { join } from 'node:path';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { Disk, Domain } from '../model/domain.js';
import type { Finding } from '../model/observed.js';
import { domainKey } from './domain-key.js';
import type { XlCfgDomain } from './xl-cfg-domain.js';
import type { XlListRow, XlLongDomain } from './xl-list.js';
import { transientState } from './xl-state-flags.js';
import type { InventoryResult } from './inventory-result.js';
import { skippedFinding, type SkipCause, type SkippedDomain } from '../model/skipped-domain.js';

/** QEMU block drivers by image format, for libxl's qdisk node names `<vdev>-<driver>`. */
const QEMU_DRIVER: Record<string, string> = { qcow2: 'qcow2', vhd: 'vpc', raw: 'raw', qed: 'qed', qcow: 'qcow' };

function withNode(d: Disk): Disk {
  const driver = QEMU_DRIVER[d.format];
  return d.backend === 'qdisk' && !d.cdrom && driver ? { ...d, node: `${d.vdev}-${driver}` } : d;
}

/**
 * Joins what xl reports about live domains with the xl.cfg files into the Xen inventory.
 * Pure: the caller ran `xl list -l`, `xl list` and read configDir.
 * - A live domain (domid ≠ 0) is running, or paused when its state column has `p`; one that is
 *   shut down (any reason), crashed or dying, in a state column xensnap cannot read, or missing
 *   from one of the two listings, is skipped with a finding, never reported as shut off; the
 *   other domains are unaffected.
 * - `instanceUuid` is the UUID of the running instance (`xl list -l`), which names libxl's lock
 *   files, whether or not an xl.cfg fixes one.
 * - Identity: a live domain is matched to its xl.cfg by name (else by UUID). Only a `uuid` line
 *   makes the UUID the key; with none, or with no xl.cfg at all, xl's UUID is new at every
 *   start, so the key is `name-<name>` and `uuid` is null, in every state alike.
 * - An xl.cfg whose domain is live is not listed again (xl list wins). Every other valid
 *   xl.cfg is a shut-off domain; one with errors gives one finding per diagnostic; two files
 *   naming the same domain name or UUID are both skipped.
 */
export function mergeXenInventory(input: { long: XlLongDomain[]; rows: XlListRow[]; configs: XlCfgDomain[]; runDir: string }): InventoryResult {
  const { long, rows, configs, runDir } = input;
  const domains: Domain[] = [];
  const findings: Finding[] = [];
  const skipped: SkippedDomain[] = [];
  // `keyUuid`: the uuid that keys the state folder (only an xl.cfg fixes one; xl's is new at every start)
  const skip = (name: string, uuid: string | null, why: string, cause: SkipCause, o: { disks?: Disk[]; keyUuid?: string | null; quiet?: boolean } = {}) => {
    const s: SkippedDomain = { name, uuid, key: domainKey(o.keyUuid === undefined ? uuid : o.keyUuid, name), cause, reason: why, ...(o.disks ? { disks: o.disks } : {}) };
    skipped.push(s);
    if (!o.quiet) findings.push(skippedFinding(s));
  };

  const byName = new Map<string, XlCfgDomain[]>();
  const byUuid = new Map<string, XlCfgDomain[]>();
  for (const c of configs) {
    if (c.name !== null) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    if (c.uuid !== null) byUuid.set(c.uuid, [...(byUuid.get(c.uuid) ?? []), c]);
  }
  const claimedNames = new Set<string>();
  const claimedUuids = new Set<string>();

  for (const r of long) {
    if (r.domid === 0) continue;
    const liveUuid = r.uuid?.toLowerCase() ?? null;
    claimedNames.add(r.name);
    if (liveUuid) claimedUuids.add(liveUuid);
    let cands = byName.get(r.name) ?? [];
    if (!cands.length && liveUuid) cands = byUuid.get(liveUuid) ?? [];
    for (const c of cands) if (c.name !== null) claimedNames.add(c.name);
    const cfg = cands[0] ?? null;
    const row = rows.find((x) => x.domid === r.domid);
    const k = { disks: r.disks.map(withNode), keyUuid: cfg?.uuid ?? null };
    if (cands.length > 1) skip(r.name, liveUuid, `several xl.cfg files name it (${cands.map((c) => c.file).join(', ')})`, 'config-conflict', k);
    else if (cfg && cfg.diagnostics.length) skip(r.name, liveUuid, `its xl.cfg has errors (${formatDiagnostic(cfg.diagnostics[0]!)})`, 'config-invalid', k);
    else if (!row) skip(r.name, liveUuid, `domid ${r.domid} is in "xl list -l" but not in "xl list"; state unknown`, 'state-unknown', k);
    else if (!row.state) skip(r.name, liveUuid, `xl list shows state ${row.flags}, which xensnap cannot read; state unknown`, 'state-unknown', k);
    else if (transientState(row.state)) skip(r.name, liveUuid, `state ${row.flags} (${transientState(row.state)})`, 'state-transient', k);
    else if (r.problems.length) skip(r.name, liveUuid, `xl list -l: ${r.problems.join('; ')}`, 'config-invalid', { keyUuid: k.keyUuid });
    else if (cfg?.uuid && cfg.uuid !== liveUuid) skip(r.name, liveUuid, `running with uuid ${liveUuid} but ${cfg.file} fixes uuid ${cfg.uuid}; restart it to apply the config`, 'config-conflict', k);
    else {
      const uuid = cfg?.uuid ?? null;
      const key = domainKey(uuid, r.name);
      if (key === null) {
        skip(r.name, liveUuid, `its name cannot key a state folder and no xl.cfg fixes a uuid`, 'unkeyable', { keyUuid: null });
        continue;
      }
      if (!cfg) findings.push({ kind: 'info', domain: { uuid: null, name: r.name }, message: `domain ${r.name}: no xl.cfg in the config directory names it; keyed by name (${key})` });
      domains.push({
        key,
        uuid,
        name: r.name,
        state: row.state.paused ? 'paused' : 'running',
        disks: r.disks.map(withNode),
        domid: r.domid,
        ...(liveUuid ? { instanceUuid: liveUuid } : {}),
        qmp: join(runDir, `qmp-libxl-${r.domid}`),
        ...(cfg ? { configFile: cfg.file } : {}),
      });
    }
  }
  for (const row of rows) {
    if (row.domid !== 0 && !long.some((r) => r.domid === row.domid)) {
      claimedNames.add(row.name);
      skip(row.name, null, `domid ${row.domid} is in "xl list" but not in "xl list -l"; configuration unknown`, 'state-unknown');
    }
  }

  for (const c of configs) {
    const who = c.name !== null ? { uuid: c.uuid, name: c.name } : null;
    for (const d of c.diagnostics) findings.push({ kind: 'skipped', domain: who, message: formatDiagnostic(d) });
    if (c.name === null) continue;
    if (claimedNames.has(c.name) || (c.uuid !== null && claimedUuids.has(c.uuid))) continue;
    if (c.diagnostics.length) {
      // its diagnostics are the findings; the domain is skipped by name all the same
      skip(c.name, c.uuid, `its xl.cfg ${c.file} has errors (${formatDiagnostic(c.diagnostics[0]!)})`, 'config-invalid', { disks: c.disks, quiet: true });
      continue;
    }
    const twins = configs.filter((o) => o !== c && (o.name === c.name || (c.uuid !== null && o.uuid === c.uuid)));
    if (twins.length) {
      skip(c.name, c.uuid, `${c.file} and ${twins.map((t) => t.file).join(', ')} define the same domain name or uuid`, 'config-conflict', { disks: c.disks });
      continue;
    }
    domains.push({ key: domainKey(c.uuid, c.name)!, uuid: c.uuid, name: c.name, state: 'shutoff', disks: c.disks, configFile: c.file });
  }
  return { domains, findings, skipped };
}
