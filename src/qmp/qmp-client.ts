import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { BackendError } from '../errors.js';

/** A QMP event as QEMU sends it: always has a name; `data` is event specific. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  command: string;
  summary: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A short, single-line summary of a command and its arguments for error messages. */
export function summarise(command: string, args?: object): string {
  if (!args) return command;
  const json = JSON.stringify(args);
  return `${command} ${json.length > 300 ? `${json.slice(0, 297)}...` : json}`;
}

/**
 * What must be held while a connection to a QEMU is open: under Xen, libxl's QMP lock
 * (src/hypervisor/xen). `acquire` waits for it; the client releases it when the connection ends.
 */
export interface QmpGuard {
  acquire(): Promise<{ release(): Promise<void> }>;
}

export interface QmpConnectOptions {
  timeoutMs?: number;
  /** Held for as long as a connection is open; with one, `letGo` may end the connection between commands. */
  guard?: QmpGuard;
}

/**
 * One QMP session over a unix socket. After `connect` resolves the greeting was read and
 * capabilities were negotiated. Every reply is matched to its request by id; every failure
 * (QMP error, timeout, closed socket) rejects with a BackendError naming the command.
 *
 * With a guard the session can be short: `letGo` closes the connection and releases the guard
 * while nothing is pending, and the next `execute` takes the guard and connects again (events sent
 * while let go are not seen). Under Xen this is how a long block job is waited for without keeping
 * libxl (xl unpause, xl save, xl list -l) out of the device model.
 */
export class QmpClient extends EventEmitter {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private closeReason: string | null = null;
  private socket: Socket | null = null;
  private held: { release(): Promise<void> } | null = null;
  private attaching: Promise<void> | null = null;
  /** Resolves once the guard (if any) of the last connection was released. */
  released: Promise<void> = Promise.resolve();
  /** How many connections this session has opened (tests: short sessions). */
  connections = 0;

  private constructor(
    readonly socketPath: string,
    private readonly opts: QmpConnectOptions,
  ) {
    super();
  }

  /** Connects (under `opts.guard` when given), reads the greeting and sends `qmp_capabilities`. */
  static async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(socketPath, opts);
    await client.attach();
    return client;
  }

  /** True when `letGo` can end the connection (a guarded session). */
  get canLetGo(): boolean {
    return this.opts.guard !== undefined;
  }

  /** Ends the connection and releases the guard until the next command; no-op without a guard or while a reply is awaited. */
  async letGo(): Promise<void> {
    if (!this.opts.guard || this.closed || !this.socket || this.pending.size || this.attaching) return;
    const sock = this.socket;
    this.socket = null;
    sock.destroy();
    await this.releaseHeld();
  }

  private async releaseHeld(): Promise<void> {
    const h = this.held;
    this.held = null;
    if (h) {
      this.released = h.release().catch(() => {});
      await this.released;
    }
  }

  private attach(): Promise<void> {
    this.attaching ??= (async () => {
      try {
        if (this.opts.guard) this.held = await this.opts.guard.acquire();
        try {
          await this.openSocket(this.opts.timeoutMs ?? 10_000);
          this.connections++;
        } catch (err) {
          await this.releaseHeld();
          throw err;
        }
      } finally {
        this.attaching = null;
      }
    })();
    return this.attaching;
  }

  private openSocket(timeoutMs: number): Promise<void> {
    const socketPath = this.socketPath;
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      this.buffer = '';
      let greeted = false;
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new BackendError(`QMP connection to ${socketPath} failed: ${why}`, { command: ['qmp', 'connect', socketPath] }));
      };
      const timer = setTimeout(() => fail(`no greeting within ${timeoutMs} ms`), timeoutMs);
      socket.setEncoding('utf8');
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!greeted) fail(err.message);
        // a QEMU that died shows as a reset or as a close, whichever the kernel reports first: the same event
        else if (this.socket === socket) this.shutdown(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'closed' : `socket error: ${err.message}`);
      });
      socket.on('close', () => {
        if (!greeted) fail('closed before the greeting');
        else if (this.socket === socket) this.shutdown('closed');
      });
      socket.on('data', (chunk: string) => {
        if (greeted && this.socket !== socket) return;
        this.buffer += chunk;
        if (!greeted) {
          const nl = this.buffer.indexOf('\n');
          if (nl < 0) return;
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          let msg: unknown;
          try {
            msg = JSON.parse(line);
          } catch {
            return fail(`the greeting is not JSON: ${line.slice(0, 200)}`);
          }
          if (!msg || typeof msg !== 'object' || !('QMP' in msg)) return fail(`unexpected greeting: ${line.slice(0, 200)}`);
          greeted = true;
          clearTimeout(timer);
          this.socket = socket;
          this.send('qmp_capabilities', undefined, timeoutMs).then(
            () => resolve(),
            (err: Error) => {
              this.close();
              reject(err);
            },
          );
        }
        this.drain();
      });
    });
  }

  /** Runs one command; resolves with its `return` value. A let-go session connects again first. */
  async execute<T = unknown>(command: string, args?: object, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (!this.closed && !this.socket) await this.attach();
    return this.send<T>(command, args, opts.timeoutMs);
  }

  private send<T>(command: string, args: object | undefined, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const summary = summarise(command, args);
    if (this.closed || !this.socket) {
      return Promise.reject(
        // Same words as for a request the close interrupted: which of the two happened is a race.
        new BackendError(`QMP connection to ${this.socketPath} ${this.closeReason ?? 'closed'} while waiting for ${command}`, { command: ['qmp', summary] }),
      );
    }
    const id = `xs-${this.nextId++}`;
    const socket = this.socket;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BackendError(`QMP ${command} on ${this.socketPath} timed out after ${timeoutMs} ms`, { command: ['qmp', summary] }));
      }, timeoutMs);
      this.pending.set(id, { command, summary, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Resolves with the first event named `name` that satisfies `predicate`, or rejects after `timeoutMs`. */
  waitForEvent(name: string, predicate: (ev: QmpEvent) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      const onEvent = (ev: QmpEvent) => {
        if (ev.event !== name || !predicate(ev)) return;
        cleanup();
        resolve(ev);
      };
      const onClose = (why: string) => {
        cleanup();
        reject(new BackendError(`QMP connection to ${this.socketPath} ${why} while waiting for event ${name}`, { command: ['qmp', 'wait', name] }));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new BackendError(`QMP event ${name} did not arrive within ${timeoutMs} ms on ${this.socketPath}`, { command: ['qmp', 'wait', name] }));
      }, timeoutMs);
      if (this.closed) return onClose(this.closeReason ?? 'closed');
      this.on('event', onEvent);
      this.on('close', onClose);
    });
  }

  /** True once the socket is gone; every later `execute` rejects. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the session for good (releasing the guard); pending requests reject. */
  close(): void {
    this.shutdown('closed by xensnap');
    this.socket?.destroy();
  }

  private drain(): void {
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QEMU only sends JSON; a garbled line cannot be matched to anything
    }
    if (typeof msg.event === 'string') {
      this.emit('event', msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : null;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return; // a reply to a request that timed out already
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: string; desc?: string };
      const qemu = `${e.class ?? 'GenericError'}: ${e.desc ?? 'no description'}`;
      p.reject(new BackendError(`QMP ${p.command} failed: ${qemu}`, { command: ['qmp', p.summary], stderr: qemu }));
    } else {
      p.resolve(msg.return);
    }
  }

  private shutdown(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = why;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new BackendError(`QMP connection to ${this.socketPath} ${why} while waiting for ${p.command}`, { command: ['qmp', p.summary] }));
    }
    void this.releaseHeld();
    this.emit('close', why);
  }
}
