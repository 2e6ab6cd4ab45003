import { spawn } from 'node:child_process';
import { BackendError } from '../../errors.js';

/** A held exclusive flock; `release` drops it and resolves once the holder process is gone. */
export interface HeldLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes an exclusive flock(2) on `file` (created when missing), as libxl does on its userdata
 * lock files. Node has no flock, so the lock is held by a helper process: util-linux
 * `flock --exclusive --wait S FILE cat`. flock(1) takes the lock, then runs `cat` with the lock's
 * descriptor inherited; `cat` echoes a probe line we send on stdin, so the echo proves the lock is
 * held. Closing stdin ends `cat` and with it the lock — and because that also happens when xensnap
 * dies, a crash can never leave the lock held. Rejects with a BackendError on timeout (flock exits 1).
 */
export function acquireFileLock(file: string, timeoutMs: number): Promise<HeldLock> {
  const args = ['--exclusive', '--wait', String(Math.max(1, Math.ceil(timeoutMs / 1000))), file, 'cat'];
  const child = spawn('flock', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    let out = '';
    let held = false;
    const fail = (why: string, exitCode: number | null = null) => {
      if (held) return;
      reject(new BackendError(`cannot take the lock ${file}: ${why}`, { command: ['flock', ...args], exitCode, stderr }));
    };
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(code === 1 ? `still held by another process after ${timeoutMs} ms` : `flock ended (${signal ?? code})`, code));
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (held || !out.includes('locked\n')) return;
      held = true;
      resolve({
        file,
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
    child.stdin.on('error', () => {}); // EPIPE when flock gave up before reading: reported through 'exit'
    child.stdin.write('locked\n');
  });
}
