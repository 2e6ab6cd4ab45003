import { BackendError } from '../../errors.js';
import { parseXlListTable } from '../../inventory/xl-list.js';
import { transientState } from '../../inventory/xl-state-flags.js';
import type { LiveState } from '../driver.js';

/**
 * The state of one domain from `xl list NAME` text: `paused` when the state column has `p`,
 * `running` when it runs or is blocked. Null when no row for `name` is there. A domain that is
 * shut down, crashed or dying, or whose state column cannot be read, is neither: a BackendError
 * says which, so nothing acts on it as if it ran or were gone.
 */
export function parseXlListState(text: string, name: string): LiveState | null {
  const row = parseXlListTable(text).find((r) => r.name === name);
  if (!row) return null;
  if (!row.state) throw new BackendError(`xl list ${name}: state ${row.flags} cannot be read`);
  const transient = transientState(row.state);
  if (transient) throw new BackendError(`domain ${name} is ${transient} (xl list state ${row.flags})`);
  return row.state.paused ? 'paused' : 'running';
}

/** domid and instance UUID of `name` from `xl list -v NAME` (no QMP involved), or null. */
export function parseXlListInstance(text: string, name: string): { domid: number; uuid: string } | null {
  const row = parseXlListTable(text).find((r) => r.name === name);
  return row?.uuid ? { domid: row.domid, uuid: row.uuid } : null;
}

/** The domid and UUID of `name` from `xl list -l NAME` JSON, or null. */
export function parseXlListDomid(json: string, name: string): { domid: number; uuid: string | null } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  for (const e of parsed as { domid?: unknown; config?: { c_info?: { name?: unknown; uuid?: unknown } } }[]) {
    if (e?.config?.c_info?.name === name && typeof e.domid === 'number') {
      const uuid = e.config.c_info.uuid;
      return { domid: e.domid, uuid: typeof uuid === 'string' ? uuid.toLowerCase() : null };
    }
  }
  return null;
}
