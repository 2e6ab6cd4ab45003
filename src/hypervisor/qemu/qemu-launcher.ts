import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../errors.js';
import type { Domain } from '../../model/domain.js';
import { QmpClient } from '../../qmp/qmp-client.js';

/**
 * Starts a standalone QEMU for a shut-off domain (revert of a live snapshot). Always: when `start`
 * resolves, a QEMU answers QMP on `d.qmp` with its CPUs stopped (`-S`), reading the incoming
 * migration `incoming` when given; `pid` is that QEMU's process id.
 */
export interface QemuLauncher {
  start(d: Domain, opts: { incoming?: string }): Promise<{ pid: number }>;
}

/**
 * A launcher that runs `qemu-system-x86_64` with the argv `argvOf(d)` gives for the domain (the
 * same devices and node names it ran with, its QMP socket at `d.qmp`), plus `-S` and `-incoming`.
 * QEMU is started detached (it outlives xensnap, as a domain must) with its output discarded.
 */
export class ArgvLauncher implements QemuLauncher {
  constructor(
    private readonly argvOf: (d: Domain) => string[] | null,
    private readonly binary = 'qemu-system-x86_64',
    private readonly startTimeoutMs = 30_000,
  ) {}

  async start(d: Domain, opts: { incoming?: string }): Promise<{ pid: number }> {
    const base = this.argvOf(d);
    if (!base) throw new BackendError(`no QEMU command line is known for domain "${d.name}"; cannot start it`);
    if (!d.qmp) throw new BackendError(`domain "${d.name}" has no QMP socket path; cannot start it`);
    const args = [...base, ...(base.includes('-S') ? [] : ['-S']), ...(opts.incoming ? ['-incoming', opts.incoming] : [])];
    const child = spawn(this.binary, args, { stdio: 'ignore', detached: true });
    let exit: string | null = null;
    child.once('exit', (code, signal) => (exit = signal ? `signal ${signal}` : `exit code ${code}`));
    child.once('error', (err) => (exit = err.message));
    child.unref();
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (exit) throw new BackendError(`QEMU for domain "${d.name}" ended at start (${exit})`, { command: [this.binary, ...args] });
      try {
        (await QmpClient.connect(d.qmp, { timeoutMs: 2_000 })).close();
        return { pid: child.pid! };
      } catch (err) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new BackendError(`QEMU for domain "${d.name}" did not answer on ${d.qmp} within ${this.startTimeoutMs} ms`, {
            command: [this.binary, ...args],
            stderr: (err as Error).message,
          });
        }
        await sleep(20);
      }
    }
  }
}
