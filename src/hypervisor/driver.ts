import type { Disk, Domain } from '../model/domain.js';
import type { QmpClient } from '../qmp/qmp-client.js';

/** What a domain is doing, as its hypervisor reports it right now. */
export type LiveState = 'running' | 'paused' | 'shutoff';

/** How a domain comes back from a memory image. */
export interface RestoreOptions {
  /** Leave the restored domain paused (true) or let it run (false). */
  paused: boolean;
  /** xen only: an xl.cfg to restore with instead of the config stored in the save file. */
  configFile?: string;
}

/**
 * How xensnap pauses, saves and restores domains. Every method acts on the domain named by `d`
 * and throws a BackendError (command, exit code, stderr) when the hypervisor refuses.
 *
 * Always: `saveMemory` leaves the domain paused and the file complete, or throws (the caller removes
 * a partial file); `qmp` returns a session the caller must `close()` — for xen it holds libxl's QMP
 * lock until then. `memoryAfterDisks` says in which order a live snapshot must save memory and
 * snapshot disks (see live-snapshot.ts): QEMU's migration leaves the block nodes inactive until
 * `cont`, so a standalone QEMU's disks must be snapshotted before its memory is written.
 */
export interface HypervisorDriver {
  readonly kind: 'xen' | 'qemu';
  readonly memoryAfterDisks: boolean;
  /**
   * `saveMemory` suspends the guest itself and leaves it paused (xl save -p): a live snapshot must
   * not pause first, and cannot save a guest that is paused already (it could not acknowledge).
   */
  readonly saveSuspends: boolean;
  status(d: Domain): Promise<LiveState>;
  pause(d: Domain): Promise<void>;
  resume(d: Domain): Promise<void>;
  saveMemory(d: Domain, file: string): Promise<void>;
  /** Starts the domain from `file`; resolves with the domain as it now runs (new domid, QMP path). */
  restore(d: Domain, file: string, opts: RestoreOptions): Promise<Domain>;
  /**
   * qemu only: starts the shut-off domain and loads internal snapshot `tag` (VM state from the
   * first of `disks`, as snapshot-save wrote it; every disk reverted) with `snapshot-load`.
   */
  restoreInternal?(d: Domain, tag: string, disks: Disk[], opts: RestoreOptions): Promise<Domain>;
  /**
   * qemu only: finishes a restore (restore or restoreInternal) that was interrupted, on the
   * QEMU it had started: waits for an incoming migration to end, loads the internal snapshot
   * again if the CPUs never ran, then continues unless `paused`. 'aborted': the guest had never
   * run and the restore could not be finished, so QEMU was quit (nothing ran on the disks).
   * Drivers without it finish by resuming a paused domain.
   */
  finishRestore?(d: Domain, how: { internalTag: string | null; disks: Disk[]; paused: boolean }): Promise<'finished' | 'aborted'>;
  /** Stops a running or paused domain at once, discarding its memory (revert --stop). */
  destroy(d: Domain): Promise<void>;
  qmp(d: Domain): Promise<QmpClient>;
  /** The guest-agent socket the host config names for the domain, or null. */
  guestAgent(d: Domain): string | null;
}
