import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../errors.js';
import type { Disk, Domain } from '../../model/domain.js';
import { QmpClient } from '../../qmp/qmp-client.js';
import type { HypervisorDriver, LiveState, RestoreOptions } from '../driver.js';
import { incomingFromFileUri } from '../qemu-exec-uri.js';
import { migrateToFile } from './migrate-to-file.js';
import { snapshotLoad } from './snapshot-load.js';
import type { QemuLauncher } from './qemu-launcher.js';

const NOBODY_THERE = /ENOENT|ECONNREFUSED/;

export interface QemuDriverOptions {
  /** Domain name → guest-agent socket (the host config's `guestAgents`). */
  guestAgents?: Record<string, string>;
  /** Starts QEMU for restores; without one, restoring memory is refused. */
  launcher?: QemuLauncher;
}

/**
 * The `qemu` driver: standalone QEMU reached over its QMP socket. Pause/resume are `stop`/`cont`;
 * memory goes out through `migrate` to a file and comes back by starting QEMU with `-incoming`.
 */
export class QemuDriver implements HypervisorDriver {
  readonly kind = 'qemu' as const;
  readonly saveSuspends = false;
  readonly memoryAfterDisks = true;

  constructor(private readonly opts: QemuDriverOptions = {}) {}

  async qmp(d: Domain): Promise<QmpClient> {
    if (!d.qmp) throw new BackendError(`domain "${d.name}" has no QMP socket`);
    return QmpClient.connect(d.qmp, { timeoutMs: 10_000 });
  }

  guestAgent(d: Domain): string | null {
    return this.opts.guestAgents?.[d.name] ?? null;
  }

  async status(d: Domain): Promise<LiveState> {
    if (!d.qmp) return 'shutoff'; // an inventory entry always has one; a bare test domain may not
    let client: QmpClient;
    try {
      client = await this.qmp(d);
    } catch (err) {
      if (NOBODY_THERE.test((err as Error).message)) return 'shutoff';
      throw err;
    }
    try {
      const st = await client.execute<{ status: string }>('query-status');
      return st.status === 'running' ? 'running' : 'paused';
    } finally {
      client.close();
    }
  }

  pause(d: Domain): Promise<void> {
    return this.with(d, async (c) => void (await c.execute('stop')));
  }

  resume(d: Domain): Promise<void> {
    return this.with(d, async (c) => void (await c.execute('cont')));
  }

  saveMemory(d: Domain, file: string): Promise<void> {
    return this.with(d, async (c) => {
      await c.execute('stop');
      await migrateToFile(c, file);
    });
  }

  async restore(d: Domain, file: string, opts: RestoreOptions): Promise<Domain> {
    if (!this.opts.launcher) throw new BackendError(`no way to start QEMU for domain "${d.name}" is configured; cannot restore its memory from ${file}`);
    await this.opts.launcher.start(d, { incoming: incomingFromFileUri(file) });
    await this.with(d, async (c) => {
      const status = await waitIncoming(c, file);
      if (status === 'running' && opts.paused) await c.execute('stop');
      if (status !== 'running' && !opts.paused) await c.execute('cont');
    });
    return { ...d, state: opts.paused ? 'paused' : 'running' };
  }

  async restoreInternal(d: Domain, tag: string, disks: Disk[], opts: RestoreOptions): Promise<Domain> {
    if (!this.opts.launcher) throw new BackendError(`no way to start QEMU for domain "${d.name}" is configured; cannot load its internal snapshot ${tag}`);
    await this.opts.launcher.start(d, {});
    await this.with(d, async (c) => {
      await snapshotLoad(c, disks, tag);
      if (!opts.paused) await c.execute('cont');
    });
    return { ...d, state: opts.paused ? 'paused' : 'running' };
  }

  async finishRestore(d: Domain, how: { internalTag: string | null; disks: Disk[]; paused: boolean }): Promise<'finished' | 'aborted'> {
    const outcome = await this.with(d, async (c) => {
      let status = (await c.execute<{ status: string }>('query-status')).status;
      if (status === 'inmigrate') status = await waitIncoming(c, 'the interrupted restore');
      if (status === 'prelaunch') {
        // The CPUs never ran: the memory was never loaded into this QEMU (or not completely).
        if (!how.internalTag) return 'aborted';
        try {
          await snapshotLoad(c, how.disks, how.internalTag);
        } catch {
          return 'aborted';
        }
      }
      if (!how.paused && status !== 'running') await c.execute('cont');
      return 'finished';
    });
    if (outcome === 'aborted') await this.destroy(d);
    return outcome;
  }

  async destroy(d: Domain): Promise<void> {
    await this.with(d, async (c) => {
      await c.execute('quit').catch(() => {}); // QEMU resets the socket on quit
    });
    // A QEMU on its way out may accept a connection and then drop it: only "nobody there" ends the wait.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const state = await this.status(d).catch(() => 'dying');
      if (state === 'shutoff') return;
      if (Date.now() > deadline) throw new BackendError(`QEMU of domain "${d.name}" still answers on ${d.qmp} 15 s after quit`);
      await sleep(20);
    }
  }

  private async with<T>(d: Domain, fn: (c: QmpClient) => Promise<T>): Promise<T> {
    const c = await this.qmp(d);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  }
}

/** Waits until the incoming migration is loaded; a QEMU that fails to load it exits (closed socket). */
async function waitIncoming(c: QmpClient, file: string): Promise<string> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    let status: string;
    try {
      status = (await c.execute<{ status: string }>('query-status')).status;
    } catch (err) {
      throw new BackendError(`QEMU did not load the memory image ${file}: ${(err as Error).message}`);
    }
    if (status !== 'inmigrate') return status;
    if (Date.now() > deadline) throw new BackendError(`QEMU did not finish loading the memory image ${file} within 10 minutes`);
    await sleep(10);
  }
}
