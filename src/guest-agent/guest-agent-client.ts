import { createConnection, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { BackendError } from '../errors.js';

const SENTINEL = 0xff;

/** One QEMU guest-agent session on a unix socket. Every call has a timeout; failures are BackendErrors. */
export class GuestAgentClient {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closedWhy: string | null = null;

  private constructor(
    readonly socketPath: string,
    private readonly socket: Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closedWhy ??= 'closed by the agent';
      this.waiter?.();
    });
    socket.on('error', (err) => {
      this.closedWhy = err.message;
      this.waiter?.();
    });
  }

  /**
   * Connects and synchronises: `guest-sync-delimited` (the agent answers with a 0xFF byte before the
   * reply, so stale output from an earlier session is skipped), or plain `guest-sync` when the agent
   * does not know the delimited form. The session is usable only after this resolves.
   */
  static async connect(socketPath: string, timeoutMs: number): Promise<GuestAgentClient> {
    const socket = createConnection(socketPath);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(agentError(socketPath, 'connect', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => (clearTimeout(timer), resolve()));
      socket.once('error', (err) => (clearTimeout(timer), reject(agentError(socketPath, 'connect', err.message))));
    });
    const client = new GuestAgentClient(socketPath, socket);
    try {
      await client.sync(timeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private async sync(timeoutMs: number): Promise<void> {
    const id = randomInt(1, 2 ** 31);
    // A leading 0xFF resets the agent's parser should a previous client have left half a command.
    this.socket.write(Buffer.concat([Buffer.from([SENTINEL]), Buffer.from(`${JSON.stringify({ execute: 'guest-sync-delimited', arguments: { id } })}\n`)]));
    const deadline = Date.now() + timeoutMs;
    const reply = await this.readReply('guest-sync-delimited', deadline, true);
    if ('error' in reply) {
      this.socket.write(`${JSON.stringify({ execute: 'guest-sync', arguments: { id } })}\n`);
      const plain = await this.readReply('guest-sync', deadline, false);
      if (plain.return !== id) throw agentError(this.socketPath, 'guest-sync', `answered ${JSON.stringify(plain)} instead of ${id}`);
      return;
    }
    if (reply.return !== id) throw agentError(this.socketPath, 'guest-sync-delimited', `answered ${JSON.stringify(reply)} instead of ${id}`);
  }

  /** Runs one command; resolves with its `return`, rejects on an error reply, timeout or closed socket. */
  async execute<T = unknown>(command: string, args: object | undefined, timeoutMs: number): Promise<T> {
    const msg = args === undefined ? { execute: command } : { execute: command, arguments: args };
    this.socket.write(`${JSON.stringify(msg)}\n`);
    const reply = await this.readReply(command, Date.now() + timeoutMs, false);
    if ('error' in reply) {
      const e = (reply.error ?? {}) as { class?: string; desc?: string };
      throw agentError(this.socketPath, command, `${e.class ?? 'GenericError'}: ${e.desc ?? 'no description'}`);
    }
    return reply.return as T;
  }

  close(): void {
    this.closedWhy ??= 'closed by xensnap';
    this.socket.destroy();
  }

  /** Reads the next JSON reply line; with `delimited`, first skips everything up to a 0xFF byte. */
  private async readReply(command: string, deadline: number, delimited: boolean): Promise<Record<string, unknown>> {
    let sawSentinel = !delimited;
    for (;;) {
      if (!sawSentinel) {
        const at = this.buf.indexOf(SENTINEL);
        if (at >= 0) {
          this.buf = this.buf.subarray(at + 1);
          sawSentinel = true;
        }
      }
      if (sawSentinel) {
        const nl = this.buf.indexOf(0x0a);
        if (nl >= 0) {
          const line = this.buf.subarray(0, nl).toString('utf8').trim();
          this.buf = this.buf.subarray(nl + 1);
          if (!line) continue;
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            throw agentError(this.socketPath, command, `answered something that is not JSON: ${line.slice(0, 200)}`);
          }
        }
      }
      // An error reply to guest-sync-delimited from an agent that lacks it comes without 0xFF.
      if (!sawSentinel && this.buf.indexOf(0x0a) >= 0 && /"error"/.test(this.buf.toString('utf8'))) sawSentinel = true;
      if (sawSentinel && this.buf.indexOf(0x0a) >= 0) continue;
      if (this.closedWhy) throw agentError(this.socketPath, command, `connection ${this.closedWhy}`);
      const left = deadline - Date.now();
      if (left <= 0) throw agentError(this.socketPath, command, `no answer within the timeout`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiter = done;
      });
      this.waiter = null;
    }
  }
}

function agentError(socketPath: string, command: string, why: string): BackendError {
  return new BackendError(`guest agent at ${socketPath}: ${command} failed: ${why}`, { command: ['qga', command, socketPath] });
}
