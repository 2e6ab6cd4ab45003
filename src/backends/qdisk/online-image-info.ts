import { BackendError } from '../../errors.js';
import { run } from '../../util/exec.js';

/** What `qemu-img info -U --output=json` says about one image header (read-only, shares locks). */
export interface ImageHeader {
  format: string;
  virtualSize: number;
  /** The backing file string exactly as stored, or null. */
  backingFile: string | null;
  snapshots: string[];
}

/** Reads an image's header without taking locks (safe while QEMU runs). */
export async function readHeaderShared(path: string): Promise<ImageHeader> {
  const cmd = ['info', '-U', '--output=json', path];
  const { stdout } = await run('qemu-img', cmd, { timeoutMs: 30_000 });
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    throw new BackendError(`qemu-img info printed no JSON for ${path}`, { command: ['qemu-img', ...cmd], stderr: stdout.slice(0, 500) });
  }
  const snaps = Array.isArray(j.snapshots) ? (j.snapshots as Array<{ name: string }>) : [];
  return {
    format: String(j.format),
    virtualSize: Number(j['virtual-size']),
    backingFile: typeof j['backing-filename'] === 'string' ? (j['backing-filename'] as string) : null,
    snapshots: snaps.map((s) => s.name),
  };
}

/** Throws unless `path`'s header names exactly `expected` as its backing file (null: none). */
export async function verifyBacking(path: string, expected: string | null): Promise<void> {
  const h = await readHeaderShared(path);
  if (h.backingFile !== expected) {
    throw new BackendError(`${path}: backing file is ${JSON.stringify(h.backingFile)}, expected ${JSON.stringify(expected)}`, {
      command: ['qemu-img', 'info', '-U', path],
    });
  }
}
