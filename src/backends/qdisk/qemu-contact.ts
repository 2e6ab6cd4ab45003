import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { QmpClient } from '../../qmp/qmp-client.js';

/** What a QEMU offers, read once per session at first contact (query-version, query-commands). */
export interface QemuOffer {
  version: string;
  commands: Set<string>;
}

/** QMP commands xensnap's online work sends, with the QEMU release that has each in this form. */
export const COMMAND_SINCE: Readonly<Record<string, string>> = {
  'query-named-block-nodes': '2.0',
  'x-debug-query-block-graph': '4.0',
  'blockdev-add': '2.9',
  'blockdev-del': '2.9',
  'blockdev-reopen': '6.1',
  'blockdev-snapshot': '2.5',
  transaction: '1.1',
  'block-stream': '1.3',
  'query-jobs': '3.0',
  'job-dismiss': '3.0',
  'job-complete': '3.0',
  'job-cancel': '3.0',
  'blockdev-snapshot-internal-sync': '1.7',
  'blockdev-snapshot-delete-internal-sync': '1.7',
};

/** Every online operation on a qdisk disk needs these. */
export const ONLINE_BASE = ['query-named-block-nodes', 'x-debug-query-block-graph', 'query-jobs'] as const;
export const ONLINE_EXTERNAL_CREATE = [...ONLINE_BASE, 'blockdev-add', 'blockdev-del', 'blockdev-reopen', 'transaction', 'blockdev-snapshot'] as const;
export const ONLINE_INTERNAL_CREATE = [...ONLINE_BASE, 'transaction', 'blockdev-snapshot-internal-sync'] as const;
export const ONLINE_DELETE = [...ONLINE_BASE, 'blockdev-del', 'block-stream', 'job-dismiss', 'job-cancel', 'blockdev-snapshot-delete-internal-sync'] as const;

const offers = new WeakMap<QmpClient, Promise<QemuOffer>>();

/** The session's QEMU offer (asked once per client). */
export function qemuOffer(client: QmpClient): Promise<QemuOffer> {
  let p = offers.get(client);
  if (!p) {
    p = (async () => {
      const v = await client.execute<{ qemu: { major: number; minor: number; micro: number }; package?: string }>('query-version');
      const cmds = await client.execute<{ name: string }[]>('query-commands');
      return { version: `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}`, commands: new Set(cmds.map((c) => c.name)) };
    })();
    offers.set(client, p);
  }
  return p;
}

/** A refusal (BackendError, nothing changed) naming the first command `needs` has that this QEMU lacks. */
export async function assertQemuOffers(client: QmpClient, what: string, needs: readonly string[]): Promise<void> {
  const offer = await qemuOffer(client);
  const missing = needs.filter((c) => !offer.commands.has(c));
  if (!missing.length) return;
  const list = missing.map((c) => `${c} (QEMU ≥ ${COMMAND_SINCE[c] ?? '?'})`).join(', ');
  throw new BackendError(`cannot ${what}: the domain's QEMU ${offer.version} does not offer ${list}; nothing was changed`);
}

interface QueryBlockEntry {
  device: string;
  qdev?: string;
  inserted?: { file: string; 'node-name'?: string };
}

/** BlockBackend names libxl gives an HVM guest's emulated drives (libxl_dm.c): IDE, AHCI, SCSI. */
const EMULATED = /^(ide\d+-hd\d+|ahcidisk-\d+|scsi0-hd\d+)$/;

/**
 * HVM guests also see each of their first disks as an emulated drive (`-drive …,if=ide`, ids
 * `ide0-hd0`, `ahcidisk-<n>`, `scsi0-hd<n>`) over the same image until their PV drivers unplug it.
 * While such a drive is there QEMU has two node graphs on one file, and nothing xensnap does to
 * one would reach the other: online work on that disk is refused, naming the drive.
 */
export async function assertNoEmulatedDrive(client: QmpClient, disks: Disk[]): Promise<void> {
  const blocks = await client.execute<QueryBlockEntry[]>('query-block');
  for (const disk of disks) {
    const drive = blocks.find((b) => EMULATED.test(b.device) && b.inserted?.file === disk.path);
    if (drive) {
      throw new BackendError(
        `disk ${disk.vdev}: the guest still has the emulated drive ${drive.device} over ${disk.path} (an HVM guest keeps it until its PV drivers unplug it); refusing online work while both exist; nothing was changed`,
      );
    }
  }
}
