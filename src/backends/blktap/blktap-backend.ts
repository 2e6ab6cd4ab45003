import { unlink } from 'node:fs/promises';
import { BackendError } from '../../errors.js';
import { readVhdChain } from '../../formats/vhd/vhd-chain.js';
import type { Disk, Domain } from '../../model/domain.js';
import type { SnapshotType } from '../../model/policy.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import { frozenImagePath, type CreateRequest, type DeleteRequest, type Progress, type RecoverableBackend, type RecoveryReport, type RecoveryRequest, type StepJournal } from '../backend.js';
import { freezeLeaf, newChildPath, unfreezeLeaf, type FreezeState } from './blktap-freeze.js';
import { resolveBlktapSteps, runBlktapSteps } from './blktap-graph-delete.js';
import { ExecTapCtl, type TapCtl } from './tap-ctl.js';
import { withTapdisksPaused } from './tap-pause.js';
import { blktapRefusal } from './blktap-refusal.js';
import { recoverBlktap } from './blktap-recover.js';
import { pathExists } from '../../util/path-exists.js';

export interface BlktapBackendOptions {
  tapCtl?: TapCtl;
}

/**
 * External snapshots of tap+vhd disks as VHD chains, natively. The leaf path never changes: a
 * snapshot freezes the leaf as `frozenImagePath(leaf, snapshot)` and puts a fresh child at the
 * leaf. Running or paused domains are changed only with all their tapdisks paused.
 */
export class BlktapBackend implements RecoverableBackend {
  readonly name = 'blktap' as const;
  private readonly tapCtl: TapCtl;

  constructor(opts: BlktapBackendOptions = {}) {
    this.tapCtl = opts.tapCtl ?? new ExecTapCtl();
  }

  refusal(disk: Disk, type: SnapshotType): string | null {
    return blktapRefusal(disk, type);
  }

  /** Rolls back an interrupted create or finishes an interrupted delete; see blktap-recover.ts. */
  async recover(req: RecoveryRequest): Promise<RecoveryReport> {
    return recoverBlktap(req, this.tapCtl);
  }

  async create(req: CreateRequest, journal: StepJournal): Promise<SnapshotDiskRecord[]> {
    for (const d of req.disks) {
      const why = this.refusal(d, req.type);
      if (why) throw new BackendError(`cannot snapshot ${req.domain.name} ${d.vdev}: ${why}`);
    }
    const states: FreezeState[] = req.disks.map((d) => ({
      vdev: d.vdev,
      leaf: d.path,
      frozen: frozenImagePath(d.path, req.snapshot),
      tmp: newChildPath(d.path),
      linked: false,
      childCreated: false,
      swapped: false,
    }));
    // Read-only checks first, so a bad chain or a taken name fails before anything is paused.
    for (const s of states) {
      const [top] = await readVhdChain(s.leaf);
      if (top!.layout.info.diskType === 'fixed') throw new BackendError(`${s.leaf} is a fixed-size VHD; blktap snapshots need a dynamic or differencing leaf`);
      if (await pathExists(s.frozen)) throw new BackendError(`${s.frozen} already exists: snapshot ${req.snapshot} of ${s.vdev} was made before`);
    }
    const preexisting = new Set<string>();
    for (const s of states) if (await pathExists(s.tmp)) preexisting.add(s.tmp);
    await this.live(req.domain, states.map((s) => s.leaf), async () => {
      try {
        for (const s of states) await freezeLeaf(s, journal);
      } catch (e) {
        // All or nothing: undo every disk, newest first; the original error is what matters.
        for (const s of [...states].reverse()) await unfreezeLeaf(s, journal).catch(() => {});
        // a child whose creation failed part-way (ENOSPC) was never marked created: remove it
        // too — but never a file that was there before this create began
        for (const s of states) if (!preexisting.has(s.tmp)) await unlink(s.tmp).catch(() => {});
        throw e;
      }
    });
    return states.map((s, i) => ({ vdev: s.vdev, format: 'vhd', backend: req.disks[i]!.backend, frozenPath: s.frozen }));
  }

  /**
   * Deletes by each disk's graph step (blktap-graph-delete.ts), checked on the chains first; a
   * running domain's tapdisks are all paused while any image changes.
   */
  async delete(req: DeleteRequest, journal: StepJournal, progress?: Progress): Promise<void> {
    const work = await resolveBlktapSteps(req);
    await this.live(req.domain, work.map((w) => w.disk.path), () => runBlktapSteps(work, journal, progress));
  }

  /** Shut-off domains are changed directly; otherwise with all the leaves' tapdisks paused. */
  private async live(domain: Domain, leaves: string[], fn: () => Promise<void>): Promise<void> {
    if (domain.state === 'shutoff') return fn();
    return withTapdisksPaused(this.tapCtl, leaves, fn);
  }
}

