// Test helpers that write and read a lab QEMU's guest RAM from outside, so a test can prove which
// memory a (restored) domain runs with. Writing goes through QEMU's own gdbstub (HMP `gdbserver`,
// GDB remote protocol `M` packets: the debugger's memory write); reading through QMP `pmemsave`.
// The lab guests have no OS and no paging, so the gdbstub's virtual addresses are physical ones.
import { connect, type Socket } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { QmpClient } from '../../src/qmp/qmp-client.js';
import { humanMonitor } from '../../src/qmp/human-monitor.js';

/** GDB remote packet framing: `$data#xx`, xx the modulo-256 sum of data's bytes in two hex digits. */
function packet(data: string): string {
  let sum = 0;
  for (const ch of Buffer.from(data, 'latin1')) sum = (sum + ch) & 0xff;
  return `$${data}#${sum.toString(16).padStart(2, '0')}`;
}

/** A minimal GDB remote client: sends one packet and returns the stub's reply packet's data (stop replies skipped). */
class GdbRemote {
  private buf = '';
  private waiters: Array<() => void> = [];
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(path: string): Promise<GdbRemote> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new GdbRemote(s)));
      s.once('error', reject);
    });
  }

  async request(data: string, timeoutMs = 10_000): Promise<string> {
    this.sock.write(packet(data));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /\$([^#]*)#[0-9a-fA-F]{2}/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m.index + m[0].length);
        this.sock.write('+');
        // Attaching stops the CPUs, and the stub tells so unasked (a `T05thread:01;` stop reply).
        if (!/^[ST][0-9a-fA-F]{2}/.test(m[1]!)) return m[1]!;
        continue;
      }
      if (Date.now() > deadline) throw new Error(`no gdbstub reply to ${data.slice(0, 20)}…`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * Fills `len` bytes of guest-physical RAM at `addr` with `pattern`. Attaching the gdbstub stops the
 * CPUs; the detach (`D`) at the end starts them again, so call it on a running domain only.
 */
export async function fillGuestRam(qmp: QmpClient, dir: string, addr: number, pattern: number, len: number): Promise<void> {
  const sockPath = join(dir, 'gdb.sock');
  await rm(sockPath, { force: true });
  await humanMonitor(qmp, `gdbserver unix:${sockPath},server=on,wait=off`);
  const gdb = await GdbRemote.open(sockPath);
  try {
    const chunk = 1024; // the stub's packet buffer is 4 KiB; 1 KiB is 2 KiB of hex
    const hex = pattern.toString(16).padStart(2, '0').repeat(chunk);
    for (let off = 0; off < len; off += chunk) {
      const n = Math.min(chunk, len - off);
      const reply = await gdb.request(`M${(addr + off).toString(16)},${n.toString(16)}:${hex.slice(0, 2 * n)}`);
      if (reply !== 'OK') throw new Error(`gdbstub refused the memory write at 0x${(addr + off).toString(16)}: ${reply}`);
    }
    const detached = await gdb.request('D');
    if (detached !== 'OK') throw new Error(`gdbstub detach: ${detached}`);
  } finally {
    gdb.close();
    await humanMonitor(qmp, 'gdbserver none');
  }
}

/** Reads `len` bytes of guest-physical RAM at `addr` (QMP `pmemsave` into a file in `dir`). */
export async function readGuestRam(qmp: QmpClient, dir: string, addr: number, len: number): Promise<Buffer> {
  const file = join(dir, `ram-${addr.toString(16)}.bin`);
  await rm(file, { force: true });
  await qmp.execute('pmemsave', { val: addr, size: len, filename: file });
  const bytes = await readFile(file);
  await rm(file, { force: true });
  return bytes;
}
