import { spawn } from 'node:child_process';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { BackendError } from '../../errors.js';

/** A held exclusive flock; `release` drops it. */
export interface HeldLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes libxl's kind of lock on `file` (tools/libs/light/libxl_internal.c `libxl__lock_file`,
 * `libxl__ev_slowlock`): open with O_RDWR|O_CREAT (0666), flock(LOCK_EX), then compare the
 * descriptor's inode with the path's; when they differ (or the path is gone) the holder before us
 * unlinked it while we waited, so close and start again. Releasing unlinks the path first and then
 * closes the descriptor (libxl's order, so a waiter never thinks it holds a lock already given up).
 *
 * Node has no flock(2): util-linux `flock --exclusive --wait S 3` is given our descriptor as its fd 3
 * and locks the open file description we share, then exits; the lock stays with our descriptor and
 * ends when it is closed (also when xensnap dies). Rejects with a BackendError on timeout.
 */
export async function acquireFileLock(file: string, timeoutMs: number): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fh = await open(file, 'a+', 0o666).catch((err: Error) => {
      throw new BackendError(`cannot open the lock file ${file}: ${err.message}`, { command: ['open', file] });
    });
    try {
      await flockExclusive(fh, file, Math.max(0, deadline - Date.now()), timeoutMs);
      const mine = await fh.stat();
      const now = await stat(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (now && now.dev === mine.dev && now.ino === mine.ino) {
        return {
          file,
          release: async () => {
            await unlink(file).catch(() => {}); // gone already: a crashed holder's cleanup, nothing to undo
            await fh.close();
          },
        };
      }
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    await fh.close(); // the path now names a newer lock file: lock that one
  }
}

/** flock(LOCK_EX) on `fh`, waiting at most `waitMs` (flock(1) counts whole seconds, at least 1). */
function flockExclusive(fh: FileHandle, file: string, waitMs: number, timeoutMs: number): Promise<void> {
  const args = ['--exclusive', '--wait', String(Math.max(1, Math.ceil(waitMs / 1000))), '3'];
  return new Promise((resolve, reject) => {
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'pipe', fh.fd] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', (err) => reject(new BackendError(`cannot take the lock ${file}: ${err.message}`, { command: ['flock', ...args] })));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = code === 1 ? `still held by another process after ${timeoutMs} ms` : `flock ended (${signal ?? code})`;
      reject(new BackendError(`cannot take the lock ${file}: ${why}`, { command: ['flock', ...args], exitCode: code, stderr }));
    });
  });
}
