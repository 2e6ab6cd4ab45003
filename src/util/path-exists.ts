import { lstat } from 'node:fs/promises';

/** True when something (a file, a link, a folder, a dangling link) is at `path`; false on any error. */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

/** Like pathExists, but only "no such file" is false: any other error (EACCES, EIO) is thrown, for decisions that must not guess. */
export async function pathExistsStrict(path: string): Promise<boolean> {
  return lstat(path).then(() => true, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)));
}
