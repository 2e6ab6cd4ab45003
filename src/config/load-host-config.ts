import { stat } from 'node:fs/promises';
import type { Diagnostic } from '../model/diagnostic.js';
import type { HostConfig } from '../model/host-config.js';
import { readTextFile } from '../yaml/read-text-file.js';
import { defaultHostConfig } from './default-host-config.js';
import { parseHostConfigText } from './parse-host-config-text.js';

/**
 * Reads and validates the host config. A missing file gives the defaults when
 * `mustExist` is false (the default path, not named by the operator); by default it must
 * exist. With any diagnostic, `config` is the plain defaults and must not be used to act.
 * Reads only; never throws on user input.
 */
export async function loadHostConfig(
  path: string,
  opts: { mustExist?: boolean } = {},
): Promise<{ config: HostConfig; diagnostics: Diagnostic[] }> {
  const mustExist = opts.mustExist ?? true;
  if (!mustExist) {
    const missing = await stat(path).then(
      () => false,
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
    );
    if (missing) return { config: defaultHostConfig(), diagnostics: [] };
  }
  const read = await readTextFile(path);
  if (!read.ok) return { config: defaultHostConfig(), diagnostics: [read.diagnostic] };
  return parseHostConfigText(read.text, path);
}
