// A minimal QMP client for tests: sends one command at a time and waits for its reply,
// skipping events. Test-only so these tests do not depend on the product's QMP client.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export class QmpTestSession {
  private buf = '';
  private waiters: ((msg: Record<string, unknown>) => void)[] = [];
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
  }

  /** Connects (retrying while QEMU starts), reads the greeting, negotiates capabilities. */
  static async open(path: string, timeoutMs = 10_000): Promise<QmpTestSession> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const session = new QmpTestSession(sock);
        await new Promise<Record<string, unknown>>((resolve) => session.waiters.push(resolve)); // greeting
        await session.execute('qmp_capabilities');
        return session;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(50);
      }
    }
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = new Promise<Record<string, unknown>>((resolve) => this.waiters.push(resolve));
    this.sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const msg = await reply;
    if ('error' in msg) throw new Error(`QMP ${command} failed: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }

  close(): void {
    this.sock.destroy();
  }
}
