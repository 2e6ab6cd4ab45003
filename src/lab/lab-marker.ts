import { lstat, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';

/** The file `lab create` leaves in a lab directory; `lab destroy` removes nothing without it. */
export const LAB_MARKER = '.xensnap-lab';

/**
 * What a lab directory's marker says: the entries `lab create` made directly in it (everything
 * below them is the lab's), and whether it made the directory itself.
 */
export interface LabMarker {
  formatVersion: 1;
  createdAt: string;
  madeDir: boolean;
  entries: string[];
}

/**
 * Checks that `dir` may become a lab: absent (made, then) or an empty directory. Returns
 * whether the caller must make it. Anything else is a UserInputError; nothing is written.
 */
export async function prepareLabDir(dir: string): Promise<{ madeDir: boolean }> {
  const st = await lstat(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
  if (st === null) return { madeDir: true };
  if (!st.isDirectory()) throw new UserInputError(`lab create: ${dir} exists and is not a directory; nothing was written`);
  const names = await readdir(dir);
  if (names.length) {
    throw new UserInputError(`lab create: ${dir} is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}); nothing was written: choose a new or empty directory`);
  }
  return { madeDir: false };
}

/** Writes the marker, listing what the lab made in `dir`. */
export async function writeLabMarker(dir: string, madeDir: boolean, entries: string[]): Promise<void> {
  const marker: LabMarker = { formatVersion: 1, createdAt: new Date().toISOString(), madeDir, entries: [...entries].sort() };
  await writeFile(join(dir, LAB_MARKER), JSON.stringify(marker, null, 2) + '\n', { mode: 0o600 });
}

/** The marker of a lab directory, or a UserInputError saying why `dir` is not a lab. */
export async function readLabMarker(dir: string): Promise<LabMarker> {
  const text = await readFile(join(dir, LAB_MARKER), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
      throw new UserInputError(`lab destroy: ${dir} was not made by \`xensnap lab create\` (it has no ${LAB_MARKER}); nothing was removed`);
    }
    throw e;
  });
  let m: Partial<LabMarker>;
  try {
    m = JSON.parse(text) as Partial<LabMarker>;
  } catch {
    m = {};
  }
  const safe = (e: unknown): e is string => typeof e === 'string' && e !== '' && !e.includes('/') && e !== '.' && e !== '..';
  if (m.formatVersion !== 1 || !Array.isArray(m.entries) || !m.entries.every(safe) || typeof m.madeDir !== 'boolean') {
    throw new UserInputError(`lab destroy: ${join(dir, LAB_MARKER)} is not a lab marker xensnap wrote; nothing was removed`);
  }
  return m as LabMarker;
}

/**
 * Removes what the lab made: its listed entries, the marker, and the directory itself when the
 * lab made it and nothing else is left. Returns the entries left behind (not the lab's).
 */
export async function removeLabEntries(dir: string, marker: LabMarker): Promise<string[]> {
  for (const e of marker.entries) await rm(join(dir, e), { recursive: true, force: true });
  await rm(join(dir, LAB_MARKER), { force: true });
  const left = await readdir(dir);
  if (left.length === 0 && marker.madeDir) await rmdir(dir);
  return left.sort();
}
