import { readdir, readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { Finding } from '../model/observed.js';
import { domainFromXlCfg, type XlCfgDomain } from './xl-cfg-domain.js';

/** Larger files are not domain configs (xl.cfg files are a few hundred bytes). */
const MAX_CFG_BYTES = 1024 * 1024;

/** Whether a disk target is a block device; targets that cannot be stat'ed fall back to "under /dev/". */
export function statIsBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return path.startsWith('/dev/');
  }
}

/**
 * Reads the domain configurations in `configDir`. The rule: every regular file (or symlink to
 * one) directly in configDir whose name ends in `.cfg` and does not start with a dot. So
 * `xl.conf` (xl's own settings), `xlexample.*`, `cpupool`, editor backups and the `auto/`
 * autostart links are never taken for domains. Sorted by file name. A missing configDir gives
 * an info finding (no shut-off domains); any other directory error throws, because running
 * domains could then be keyed wrongly.
 */
export async function readXlConfigs(configDir: string): Promise<{ configs: XlCfgDomain[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  let names: string[];
  try {
    names = await readdir(configDir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      findings.push({ kind: 'info', domain: null, message: `xen.configDir ${configDir} does not exist: no shut-off domains found` });
      return { configs: [], findings };
    }
    throw new FormatError(configDir, `cannot read the xl.cfg directory: ${err.message}`);
  }
  const configs: XlCfgDomain[] = [];
  for (const n of names.filter((n) => n.endsWith('.cfg') && !n.startsWith('.')).sort()) {
    const file = join(configDir, n);
    try {
      const st = await stat(file);
      if (!st.isFile()) continue;
      if (st.size > MAX_CFG_BYTES) {
        findings.push({ kind: 'skipped', domain: null, message: `${file}: larger than 1 MiB, not read as an xl.cfg` });
        continue;
      }
      configs.push(domainFromXlCfg(await readFile(file, 'utf8'), file, { isBlockDevice: statIsBlockDevice }));
    } catch (e) {
      findings.push({ kind: 'skipped', domain: null, message: `${file}: cannot read: ${(e as Error).message}` });
    }
  }
  return { configs, findings };
}
