import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What xensnap says about itself: name, version, where bugs go. Read from its package.json. */
export interface PackageInfo {
  name: string;
  version: string;
  bugs: string;
}

let cached: PackageInfo | null = null;

/**
 * xensnap's package.json, found by walking up from this module (src/, dist/src/ and an
 * installed /usr/lib/xensnap alike). A copy without one still runs: version "unknown".
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  let data: { name?: string; version?: string; bugs?: { url?: string } | string } = {};
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        data = JSON.parse(readFileSync(candidate, 'utf8')) as typeof data;
      } catch {
        data = {};
      }
      if (data.name === 'xensnap') break;
    }
    dir = dirname(dir);
  }
  const bugs = typeof data.bugs === 'string' ? data.bugs : data.bugs?.url;
  cached = { name: 'xensnap', version: data.name === 'xensnap' && data.version ? data.version : 'unknown', bugs: bugs ?? 'the xensnap issue tracker' };
  return cached;
}
