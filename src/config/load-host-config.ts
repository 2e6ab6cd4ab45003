import { stat } from 'node:fs/promises';
import type { Diagnostic } from '../model/diagnostic.js';
import type { HostConfig } from '../model/host-config.js';
import { readTextFile } from '../yaml/read-text-file.js';
import { defaultHostConfig } from './default-host-config.js';
import { parseHostConfigText } from './parse-host-config-text.js';
import { checkHostPaths } from './check-host-paths.js';
import { sortDiagnostics } from '../model/diagnostic.js';

/**
 * Reads and validates the host config. A missing file gives the defaults when
 * `mustExist` is false (the default path, not named by the operator); by default it must
 * exist. The paths it names are checked too (check-host-paths.ts: a stateDir that is a file is
 * an error here, not a crash later). With any diagnostic, `config` is the plain defaults and
 * must not be used to act. Reads only; never throws on user input.
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
  const parsed = parseHostConfigText(read.text, path);
  if (parsed.diagnostics.length) return { config: parsed.config, diagnostics: parsed.diagnostics };
  const problems = await checkHostPaths(parsed.config, parsed.locate);
  if (problems.length) return { config: defaultHostConfig(), diagnostics: sortDiagnostics(problems) };
  return { config: parsed.config, diagnostics: [] };
}
