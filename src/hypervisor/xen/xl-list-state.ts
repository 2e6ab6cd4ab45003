import type { LiveState } from '../driver.js';

/**
 * The state of one domain from `xl list NAME` text (header line, then `name id mem vcpus state
 * time`): the state flags are `rbpscd` positions; `p` means paused, anything else alive counts as
 * running. Null when no row for `name` is there.
 */
export function parseXlListState(text: string, name: string): LiveState | null {
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6 || cols[0] !== name) continue;
    const flags = cols[4]!;
    return flags[2] === 'p' ? 'paused' : 'running';
  }
  return null;
}

/** The domid of `name` from `xl list -l NAME` JSON, or null. */
export function parseXlListDomid(json: string, name: string): number | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  for (const e of parsed as { domid?: unknown; config?: { c_info?: { name?: unknown } } }[]) {
    if (e?.config?.c_info?.name === name && typeof e.domid === 'number') return e.domid;
  }
  return null;
}
