import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Resolves once another process holds an flock on `file` (a non-blocking flock fails); 20 s at most. */
export async function waitUntilLocked(file: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const free = await exec('flock', ['--nonblock', file, 'true']).then(() => true, () => false);
    if (!free) return;
    if (Date.now() > deadline) throw new Error(`nobody took the lock ${file} within 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
