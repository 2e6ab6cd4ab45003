import { stat } from 'node:fs/promises';
import type { Diagnostic } from '../model/diagnostic.js';
import type { HostConfig } from '../model/host-config.js';
import { describeFsError } from '../yaml/read-text-file.js';

/** Points at a key of the config file: file, line and column of the setting at `path`. */
export type ConfigLocator = (path: Array<string | number>, message: string) => Diagnostic;

/**
 * `null` when `path` is fine for its use, else why not. A directory that does not exist yet
 * is fine (xensnap creates stateDir, 0700, on first use); one whose place is taken by a file,
 * or under a parent that is a file, is not.
 */
async function directoryProblem(path: string): Promise<string | null> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return 'cannot exist: a parent directory in it is a file';
    return `cannot be checked: ${describeFsError(err)}`;
  }
  return st.isDirectory() ? null : 'is not a directory (it is a file)';
}

/**
 * What the file system says about the directories a valid host config names: stateDir and the
 * xen directories must be directories, or not exist yet. Every problem is a diagnostic at its
 * key. Reads only.
 */
export async function checkHostPaths(config: HostConfig, at: ConfigLocator): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const check = async (path: string, key: string[], label: string) => {
    const problem = await directoryProblem(path);
    if (problem) out.push(at(key, `${label} ${path} ${problem}`));
  };
  await check(config.stateDir, ['stateDir'], 'stateDir');
  if (config.hypervisor === 'xen') {
    await check(config.xen.configDir, ['xen', 'configDir'], 'xen.configDir');
    await check(config.xen.runDir, ['xen', 'runDir'], 'xen.runDir');
    await check(config.xen.libDir, ['xen', 'libDir'], 'xen.libDir');
  }
  return out;
}
