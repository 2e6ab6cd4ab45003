import { BackendError } from '../../errors.js';
import type { Disk, Domain } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import { QmpClient } from '../../qmp/qmp-client.js';
import type { CreateRequest, DeleteRequest, Progress, RecoverableBackend, RecoveryReport, RecoveryRequest, StepJournal } from '../backend.js';
import { createOffline, deleteOffline } from './offline.js';
import { deleteQdiskSnapshot } from './graph-delete.js';
import { createExternalOnline, type OnlineOptions } from './online-external-create.js';
import { createInternalOnline } from './online-internal.js';
import { recoverQdisk } from './online-recover.js';
import { qdiskRefusal } from './qdisk-refusal.js';
import { assertNoEmulatedDrive, assertQemuOffers, ONLINE_DELETE, ONLINE_EXTERNAL_CREATE, ONLINE_INTERNAL_CREATE } from './qemu-contact.js';

/** How the qdisk backend reaches a live domain's QEMU, and how it adds nodes there. */
export interface QdiskBackendOptions {
  /** Opens a QMP session to a running or paused domain's QEMU (the caller's driver knows where). */
  connect: (domain: Domain) => Promise<QmpClient>;
  /** Extra online settings: file locking of added nodes (`off` under Xen), test hooks. */
  online?: OnlineOptions;
}

export { qdiskRefusal } from './qdisk-refusal.js';

/**
 * The qdisk backend: QMP only for running or paused domains, qemu-img only for shut-off ones
 * (and only after making sure no QEMU answers on the domain's QMP socket).
 */
export class QdiskBackend implements RecoverableBackend {
  readonly name = 'qdisk' as const;

  constructor(private readonly opts: QdiskBackendOptions) {}

  refusal(disk: Disk, type: SnapshotType): string | null {
    return qdiskRefusal(disk, type);
  }

  async create(req: CreateRequest, journal: StepJournal, progress?: Progress): Promise<SnapshotDiskRecord[]> {
    for (const disk of req.disks) {
      const why = this.refusal(disk, req.type);
      if (why) throw new BackendError(`cannot take an ${req.type} snapshot of disk ${disk.vdev} (${disk.path}): ${why}`);
    }
    if (req.domain.state === 'shutoff') {
      await assertNoLiveQemu(req.domain);
      return createOffline(req, journal);
    }
    const needs = req.type === 'internal' ? ONLINE_INTERNAL_CREATE : ONLINE_EXTERNAL_CREATE;
    return this.withClient(req.domain, { what: `take ${req.type} snapshot ${req.snapshot} of domain ${req.domain.name}`, needs, disks: req.disks }, (client) =>
      req.type === 'internal'
        ? createInternalOnline(client, req.disks, req.snapshot, journal, progress)
        : createExternalOnline(client, req.disks, req.snapshot, journal, progress, this.opts.online),
    );
  }

  /** Deletes by each disk's graph step (graph-delete.ts): through files while shut off, QMP where QEMU has the image open. */
  async delete(req: DeleteRequest, journal: StepJournal, progress?: Progress): Promise<void> {
    if (req.domain.state === 'shutoff') {
      await assertNoLiveQemu(req.domain);
      return deleteOffline(req, journal, progress);
    }
    const what = { what: `delete snapshot ${req.snapshot} of domain ${req.domain.name}`, needs: ONLINE_DELETE, disks: req.domain.disks.filter((d) => req.disks.some((r) => r.vdev === d.vdev)) };
    return this.withClient(req.domain, what, (client) => deleteQdiskSnapshot(req, { domain: req.domain, client, journal, ...(progress ? { progress } : {}) }));
  }

  /** Finishes (deletes) or rolls back (creates) an operation a crash interrupted; see online-recover.ts. */
  async recover(req: RecoveryRequest): Promise<RecoveryReport> {
    if (req.domain.state === 'shutoff') await assertNoLiveQemu(req.domain); // file-level recovery writes too
    return recoverQdisk(req, this.opts.connect, this.opts.online?.locking);
  }

  /** A session with first-contact checks: the QEMU offers every command `needs`, no emulated drive shares a disk. */
  private async withClient<T>(domain: Domain, check: { what: string; needs: readonly string[]; disks: Disk[] }, fn: (client: QmpClient) => Promise<T>): Promise<T> {
    const client = await this.opts.connect(domain);
    try {
      await assertQemuOffers(client, check.what, check.needs);
      await assertNoEmulatedDrive(client, check.disks);
      return await fn(client);
    } finally {
      client.close();
    }
  }
}

/**
 * The offline path's double check: a domain recorded as shut off whose QMP socket still answers
 * is running after all, and qemu-img must not write its images (nothing else would stop it).
 */
export async function assertNoLiveQemu(domain: Domain): Promise<void> {
  if (!domain.qmp) return;
  let client: QmpClient;
  try {
    client = await QmpClient.connect(domain.qmp, { timeoutMs: 2_000 });
  } catch {
    return; // silent socket: no QEMU behind it
  }
  client.close();
  throw new BackendError(
    `domain "${domain.name}" is recorded as shut off but a QEMU answers on its QMP socket ${domain.qmp}; refusing qemu-img writes to images a running QEMU uses`,
  );
}
