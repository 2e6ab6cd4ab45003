import { join } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Domain } from '../../model/domain.js';
import { QmpClient } from '../../qmp/qmp-client.js';
import { systemXl, type XlRunner } from '../../inventory/xl-runner.js';
import type { HypervisorDriver, LiveState, RestoreOptions } from '../driver.js';
import { acquireFileLock } from './file-lock.js';
import { parseXlListDomid, parseXlListState } from './xl-list-state.js';

export interface XenDriverOptions {
  /** `xl` runner; default the real one on PATH. */
  xl?: XlRunner;
  /** Where libxl puts `qmp-libxl-<domid>` (host config `xen.runDir`). */
  runDir: string;
  /** Where libxl keeps its userdata lock files; default /var/lib/xen. */
  lockDir?: string;
  lockTimeoutMs?: number;
  guestAgents?: Record<string, string>;
}

/**
 * The `xen` driver: `xl` for pause, save, restore and destroy, and the device model's QMP socket
 * for disk work — taken only under libxl's own flock, so xensnap never talks to QEMU while libxl
 * does (QEMU serves one QMP client at a time, and libxl must not find it busy mid-save).
 * Domains are addressed by name: a restore gives the domain a new domid.
 */
export class XenDriver implements HypervisorDriver {
  readonly kind = 'xen' as const;
  readonly memoryAfterDisks = false;
  private readonly xl: XlRunner;

  constructor(private readonly opts: XenDriverOptions) {
    this.xl = opts.xl ?? systemXl();
  }

  guestAgent(d: Domain): string | null {
    return this.opts.guestAgents?.[d.name] ?? null;
  }

  /** libxl's lock path for the QMP socket of a domain instance. */
  lockPath(domid: number, uuid: string): string {
    return join(this.opts.lockDir ?? '/var/lib/xen', `userdata-l.${domid}.${uuid}.qmp-socket-lock`);
  }

  async status(d: Domain): Promise<LiveState> {
    try {
      return parseXlListState(await this.xl(['list', d.name]), d.name) ?? 'shutoff';
    } catch (err) {
      if (err instanceof BackendError && /invalid domain identifier/.test(err.stderr)) return 'shutoff';
      throw err;
    }
  }

  async pause(d: Domain): Promise<void> {
    await this.xl(['pause', d.name]);
  }

  async resume(d: Domain): Promise<void> {
    await this.xl(['unpause', d.name]);
  }

  async saveMemory(d: Domain, file: string): Promise<void> {
    // -p: the domain stays (paused) after the save; without it xl would destroy it.
    await this.xl(['save', '-p', d.name, file]);
  }

  async restore(d: Domain, file: string, opts: RestoreOptions): Promise<Domain> {
    await this.xl(['restore', ...(opts.paused ? ['-p'] : []), ...(opts.configFile ? [opts.configFile] : []), file]);
    const domid = parseXlListDomid(await this.xl(['list', '-l', d.name]), d.name);
    if (domid === null) throw new BackendError(`xl restore of ${file} succeeded but xl list -l ${d.name} does not show the domain`);
    return { ...d, domid, qmp: join(this.opts.runDir, `qmp-libxl-${domid}`), state: opts.paused ? 'paused' : 'running' };
  }

  async destroy(d: Domain): Promise<void> {
    await this.xl(['destroy', d.name]);
  }

  async qmp(d: Domain): Promise<QmpClient> {
    if (d.domid === undefined || !d.uuid) throw new BackendError(`domain "${d.name}" has no domid or UUID: it is not running, so it has no device model`);
    const lock = await acquireFileLock(this.lockPath(d.domid, d.uuid), this.opts.lockTimeoutMs ?? 30_000);
    try {
      const client = await QmpClient.connect(join(this.opts.runDir, `qmp-libxl-${d.domid}`), { timeoutMs: 10_000 });
      client.once('close', () => void lock.release());
      return client;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }
}
