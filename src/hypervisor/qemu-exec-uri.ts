import { BackendError } from '../errors.js';

// QEMU 7.2's only file-backed migration transport is `exec:`, which QEMU hands to /bin/sh.
// xensnap builds no shell strings of its own; this is the one place a path enters one, so the
// path is limited to characters that mean nothing to sh and is single-quoted as well.
const SAFE_PATH = /^\/[A-Za-z0-9._@+:,=\/-]+$/;

/** Throws unless `file` is an absolute path made only of characters that are inert in sh. */
export function checkExecPath(file: string): void {
  if (!SAFE_PATH.test(file) || file.includes('..')) {
    throw new BackendError(
      `memory file path ${JSON.stringify(file)} cannot be passed to QEMU's exec: migration (allowed: absolute paths of letters, digits and . _ @ + : , = / -)`,
    );
  }
}

/** `exec:cat > 'FILE'` — the outgoing migration URI that writes the memory image to FILE. */
export function migrateToFileUri(file: string): string {
  checkExecPath(file);
  return `exec:cat > '${file}'`;
}

/** `exec:cat 'FILE'` — the `-incoming` URI that reads a memory image back. */
export function incomingFromFileUri(file: string): string {
  checkExecPath(file);
  return `exec:cat '${file}'`;
}
