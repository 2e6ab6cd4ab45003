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
 * One QMP session over a unix socket. After `connect` resolves the greeting was read and
 * capabilities were negotiated. Every reply is matched to its request by id; every failure
 * (QMP error, timeout, closed socket) rejects with a BackendError naming the command.
 */
export class QmpClient extends EventEmitter {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private closeReason: string | null = null;

  private constructor(
    readonly socketPath: string,
    private readonly socket: Socket,
  ) {
    super();
  }

  /** Connects, reads the greeting and sends `qmp_capabilities`. */
  static connect(socketPath: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const client = new QmpClient(socketPath, socket);
      let greeted = false;
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new BackendError(`QMP connection to ${socketPath} failed: ${why}`, { command: ['qmp', 'connect', socketPath] }));
      };
      const timer = setTimeout(() => fail(`no greeting within ${timeoutMs} ms`), timeoutMs);
      socket.setEncoding('utf8');
      socket.on('error', (err) => {
        if (!greeted) fail(err.message);
        else client.shutdown(`socket error: ${err.message}`);
      });
      socket.on('close', () => {
        if (!greeted) fail('closed before the greeting');
        else client.shutdown('closed');
      });
      socket.on('data', (chunk: string) => {
        client.buffer += chunk;
        if (!greeted) {
          const nl = client.buffer.indexOf('\n');
          if (nl < 0) return;
          const line = client.buffer.slice(0, nl);
          client.buffer = client.buffer.slice(nl + 1);
          let msg: unknown;
          try {
            msg = JSON.parse(line);
          } catch {
            return fail(`the greeting is not JSON: ${line.slice(0, 200)}`);
          }
          if (!msg || typeof msg !== 'object' || !('QMP' in msg)) return fail(`unexpected greeting: ${line.slice(0, 200)}`);
          greeted = true;
          clearTimeout(timer);
          client
            .execute('qmp_capabilities', undefined, { timeoutMs })
            .then(() => resolve(client), (err: Error) => {
              client.close();
              reject(err);
            });
        }
        client.drain();
      });
    });
  }

  /** Runs one command; resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: object, opts: { timeoutMs?: number } = {}): Promise<T> {
    const summary = summarise(command, args);
    if (this.closed) {
      return Promise.reject(
        // Same words as for a request the close interrupted: which of the two happened is a race.
        new BackendError(`QMP connection to ${this.socketPath} ${this.closeReason ?? 'closed'} while waiting for ${command}`, { command: ['qmp', summary] }),
      );
    }
    const id = `xs-${this.nextId++}`;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BackendError(`QMP ${command} on ${this.socketPath} timed out after ${timeoutMs} ms`, { command: ['qmp', summary] }));
      }, timeoutMs);
      this.pending.set(id, { command, summary, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(msg)}\n`);
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

  /** Closes the session; pending requests reject. */
  close(): void {
    this.shutdown('closed by xensnap');
    this.socket.destroy();
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
    this.emit('close', why);
  }
}
