import { open, readFile, rename, unlink, link } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir, fsyncDir } from '../util/atomic-file.js';
import { UserInputError } from '../errors.js';
import { processStartTime } from './process-start-time.js';

/** What the lock file holds: enough to tell a live holder from a stale file. */
export interface LockOwner {
  pid: number;
  startTime: string | null;
  hostname: string;
  since: string;
  command: string;
}

export const LOCK_FILE = '.lock';
/** Held by `xensnap run` for its lifetime, so at most one reconcile loop runs per state dir. */
export const DAEMON_LOCK_FILE = '.daemon.lock';

/** A held lock; `release` removes the file only if it is still ours. */
export interface HeldLock {
  owner: LockOwner;
  release(): Promise<void>;
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

async function isLive(owner: LockOwner | null): Promise<boolean> {
  if (!owner || typeof owner.pid !== 'number') return false;
  if (owner.hostname !== hostname()) return true; // another host's lock on shared storage: never steal
  const start = await processStartTime(owner.pid);
  return start !== null && (owner.startTime === null || start === owner.startTime);
}

/**
 * Takes the single-instance lock in `stateDir` or throws "another xensnap (pid N) holds the
 * lock". A lock left by a dead process (PID gone, or reused: start time differs) is stale and
 * taken over. The file is written to a temp name and hard-linked into place, so it is never
 * seen half-written and two takers cannot both win.
 */
export async function acquireInstanceLock(stateDir: string, command: string, file: string = LOCK_FILE): Promise<HeldLock> {
  await ensurePrivateDir(stateDir);
  const path = join(stateDir, file);
  const owner: LockOwner = {
    pid: process.pid,
    startTime: await processStartTime(process.pid),
    hostname: hostname(),
    since: new Date().toISOString(),
    command,
  };
  const tmp = join(stateDir, `.lock.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  await fh.writeFile(JSON.stringify(owner) + '\n');
  await fh.sync();
  await fh.close();
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, path);
        await fsyncDir(stateDir);
        return {
          owner,
          async release() {
            const now = await readOwner(path);
            if (now && now.pid === owner.pid && now.since === owner.since) {
              await unlink(path);
              await fsyncDir(stateDir);
            }
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readOwner(path);
      if (await isLive(holder)) throw new UserInputError(`another xensnap (pid ${holder!.pid}) holds the lock ${path}`);
      // stale: move it aside under a unique name (only one taker's rename finds it), then retry
      const aside = join(stateDir, `.lock.stale.${process.pid}`);
      try {
        await rename(path, aside);
        const moved = await readOwner(aside);
        if (await isLive(moved)) {
          // we raced with a fresh owner: put its lock back and give way
          await link(aside, path).catch(() => {});
          await unlink(aside);
          throw new UserInputError(`another xensnap (pid ${moved!.pid}) holds the lock ${path}`);
        }
        await unlink(aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new UserInputError(`could not take the lock ${path}: it keeps changing hands`);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/**
 * The daemon's way to take the operation lock: an operator's `apply`, `create` or `delete` may
 * hold it for a while, so wait for it (polling) instead of failing the run — until `signal`
 * aborts or `timeoutMs` passes.
 */
export async function waitForInstanceLock(
  stateDir: string,
  command: string,
  opts: { signal?: AbortSignal; pollMs?: number; timeoutMs?: number } = {},
): Promise<HeldLock> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    try {
      return await acquireInstanceLock(stateDir, command);
    } catch (err) {
      const busy = err instanceof UserInputError && err.message.startsWith('another xensnap');
      if (!busy || opts.signal?.aborted || Date.now() >= deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}
