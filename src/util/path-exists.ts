import { lstat } from 'node:fs/promises';

/** True when something (a file, a link, a folder) is at `path`; false on any error. */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}
