import { join } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Domain } from '../../model/domain.js';
import { QmpClient } from '../../qmp/qmp-client.js';
import { systemXl, type XlRunner } from '../../inventory/xl-runner.js';
import type { HypervisorDriver, LiveState, RestoreOptions } from '../driver.js';
import { acquireFileLock } from './file-lock.js';
import { parseXlListDomid, parseXlListInstance, parseXlListState } from './xl-list-state.js';

export interface XenDriverOptions {
  /** `xl` runner; default the real one on PATH. */
  xl?: XlRunner;
  /** Where libxl puts `qmp-libxl-<domid>` (host config `xen.runDir`). */
  runDir: string;
  /** libxl's XEN_LIB_DIR, where its userdata lock files are (host config `xen.libDir`); default /var/lib/xen. */
  libDir?: string;
  lockTimeoutMs?: number;
  guestAgents?: Record<string, string>;
}

/**
 * The `xen` driver: `xl` for pause, save, restore and destroy, and the device model's QMP socket
 * for disk work — taken only under libxl's own lock
 * (`<libDir>/userdata-l.<domid>.<instance uuid>.qmp-socket-lock`, libxl's protocol: file-lock.ts),
 * so xensnap never talks to QEMU while libxl does (QEMU serves one QMP client at a time). Sessions
 * are short: libxl needs QMP for `xl unpause`, `xl save` and (HVM) `xl list -l`, so the lock is
 * never held across an xl call or a long block job (QmpClient.letGo).
 * `xl save -p` suspends the guest itself (libxl waits for the guest to acknowledge), so a live
 * snapshot does not `xl pause` first (`saveSuspends`), and a guest already paused cannot be saved.
 * Domains are addressed by name: a restore gives the domain a new domid.
 */
export class XenDriver implements HypervisorDriver {
  readonly kind = 'xen' as const;
  readonly memoryAfterDisks = false;
  readonly saveSuspends = true;
  private readonly xl: XlRunner;

  constructor(private readonly opts: XenDriverOptions) {
    this.xl = opts.xl ?? systemXl();
  }

  guestAgent(d: Domain): string | null {
    return this.opts.guestAgents?.[d.name] ?? null;
  }

  /** libxl's lock path for the QMP socket of a domain instance. */
  lockPath(domid: number, uuid: string): string {
    return join(this.opts.libDir ?? '/var/lib/xen', `userdata-l.${domid}.${uuid}.qmp-socket-lock`);
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
    // -p: the domain stays (paused) after the save; without it xl would destroy it. The guest must
    // be running: libxl asks it to suspend and waits (60 s) for it to acknowledge.
    await this.xl(['save', '-p', d.name, file]);
  }

  async restore(d: Domain, file: string, opts: RestoreOptions): Promise<Domain> {
    await this.xl(['restore', ...(opts.paused ? ['-p'] : []), ...(opts.configFile ? [opts.configFile] : []), file]);
    const now = parseXlListDomid(await this.xl(['list', '-l', d.name]), d.name);
    if (now === null) throw new BackendError(`xl restore of ${file} succeeded but xl list -l ${d.name} does not show the domain`);
    const { instanceUuid: _old, ...rest } = d;
    return { ...rest, domid: now.domid, ...(now.uuid ? { instanceUuid: now.uuid } : {}), qmp: join(this.opts.runDir, `qmp-libxl-${now.domid}`), state: opts.paused ? 'paused' : 'running' };
  }

  async destroy(d: Domain): Promise<void> {
    await this.xl(['destroy', d.name]);
  }

  /**
   * A short-session QMP client for the device model of `d`: every connection is opened under
   * libxl's QMP lock for this instance (domid + the UUID `xl list -l` printed), and after the lock
   * is taken the instance is checked to be still the one named (libxl does the same), so a
   * restarted domain is never addressed through a stale domid.
   */
  async qmp(d: Domain): Promise<QmpClient> {
    const domid = d.domid;
    const uuid = d.instanceUuid ?? d.uuid;
    if (domid === undefined || !uuid) throw new BackendError(`domain "${d.name}" has no domid or instance UUID: it is not running, so it has no device model`);
    const lockFile = this.lockPath(domid, uuid);
    const guard = {
      acquire: async () => {
        const lock = await acquireFileLock(lockFile, this.opts.lockTimeoutMs ?? 30_000);
        try {
          const now = parseXlListInstance(await this.xl(['list', '-v', d.name]), d.name);
          if (!now || now.domid !== domid || now.uuid !== uuid) {
            throw new BackendError(`domain "${d.name}" is no longer instance ${domid}/${uuid} (xl list -v: ${now ? `${now.domid}/${now.uuid}` : 'gone'}); read the inventory again`);
          }
          return lock;
        } catch (err) {
          await lock.release();
          throw err;
        }
      },
    };
    return QmpClient.connect(join(this.opts.runDir, `qmp-libxl-${domid}`), { timeoutMs: 10_000, guard });
  }
}
