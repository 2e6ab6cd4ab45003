import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { STATUS_FILE, type DaemonStatus } from './daemon-status.js';

export function statusPath(stateDir: string): string {
  return join(stateDir, STATUS_FILE);
}

/** Persists status snapshots in order, one write at a time; bursts collapse to the latest. */
export interface StatusWriter {
  write(status: DaemonStatus): void;
  /** Resolves when everything written so far is on disk. */
  flush(): Promise<void>;
}

export function createStatusWriter(path: string, onError: (err: Error) => void): StatusWriter {
  let latest: string | null = null;
  let busy: Promise<void> | null = null;
  const drain = async () => {
    while (latest !== null) {
      const text = latest;
      latest = null;
      try {
        await writeFileAtomic(path, text, 0o600);
      } catch (err) {
        onError(err as Error);
      }
    }
    busy = null;
  };
  return {
    write(status) {
      // serialise now: the loop keeps mutating its status object
      latest = JSON.stringify(status, null, 2) + '\n';
      if (!busy) busy = drain();
    },
    async flush() {
      while (busy) await busy;
    },
  };
}

/** Reads a status file; null when there is none. Anything unreadable is an Error with the path. */
export async function readStatusFile(path: string): Promise<DaemonStatus | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: cannot read: ${(err as Error).message}`);
  }
  let data: DaemonStatus;
  try {
    data = JSON.parse(text) as DaemonStatus;
  } catch (err) {
    throw new Error(`${path}: not a status file: ${(err as Error).message}`);
  }
  if (data?.formatVersion !== 1 || typeof data.state !== 'string' || typeof data.pid !== 'number') {
    throw new Error(`${path}: not a status file (expected formatVersion 1)`);
  }
  return data;
}
