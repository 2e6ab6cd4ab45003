import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserInputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { describeFsError } from '../yaml/read-text-file.js';

/**
 * Writes a file the operator named (`plan -o FILE`) atomically, 0600. A path that cannot be a
 * file — a directory, a missing or non-directory parent, no permission — is a UserInputError
 * naming the option and the path, checked before anything is written.
 */
export async function writeOutputFile(option: string, path: string, data: string): Promise<void> {
  const bad = (why: string) => new UserInputError(`${option} ${path}: ${why}; nothing was written`);
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) throw bad('is a directory; name a file to write');
  const dir = dirname(resolve(path));
  const parent = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (parent instanceof Error) {
    throw bad(parent.code === 'ENOENT' ? `directory ${dir} does not exist` : parent.code === 'ENOTDIR' ? `${dir} is not a directory` : `cannot use ${dir}: ${describeFsError(parent)}`);
  }
  if (!parent.isDirectory()) throw bad(`${dir} is not a directory`);
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    throw bad(`cannot write: ${describeFsError(err)}`);
  }
}
