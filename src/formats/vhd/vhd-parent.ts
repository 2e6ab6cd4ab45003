import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { VhdInfo } from './vhd-info.js';

/**
 * The path of a differencing disk's parent, or null (not differencing, or no locator names an
 * existing file). Relative locators (`./x`, resolved against the child's directory) come first,
 * because they survive moving the whole chain: W2ru, then MacX, then W2ku (relative as blktap
 * writes it, absolute as other writers may).
 */
export function resolveVhdParent(childPath: string, info: VhdInfo): string | null {
  return vhdParentCandidates(childPath, info).find((p) => existsSync(p)) ?? null;
}

/** Every path the locators name, in the order resolveVhdParent tries them. */
export function vhdParentCandidates(childPath: string, info: VhdInfo): string[] {
  if (info.diskType !== 'differencing') return [];
  const dir = dirname(childPath);
  const out: string[] = [];
  for (const code of ['W2ru', 'MacX', 'W2ku']) {
    for (const l of info.parentLocators) {
      if (l.code !== code || l.path === '') continue;
      const p = isAbsolute(l.path) ? l.path : resolve(dir, l.path);
      if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}
