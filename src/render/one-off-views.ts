import type { ActionResult, ExecAction } from '../apply/execute-types.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import type { MergeCost } from '../plan/plan-types.js';
import { stepText } from './merge-text.js';
import { snapshotOrigin } from './snapshot-origin.js';

export const ONE_OFF_FORMAT_VERSION = 1;

/**
 * The JSON of `create` / `delete` (formatVersion 1): the one action and its result. `origin`
 * and `merge` are set for deletes only; `description` and `pinned` for creates only.
 */
export interface OneOffJson {
  formatVersion: 1;
  command: 'create' | 'delete';
  recovered: string[];
  domain: { key: string; uuid: string | null; name: string };
  snapshot: string;
  mode: string;
  type: string;
  disks: string[];
  description?: string;
  pinned?: boolean;
  origin?: string;
  merge?: MergeCost | null;
  status: 'ok' | 'failed' | 'skipped';
  message: string | null;
  /** How the snapshot is weaker than asked (creates); empty when it is what was asked. */
  warnings: string[];
}

/** The data both views of a one-off result render from. */
export function oneOffJson(result: ActionResult, recovered: string[], origin?: string): OneOffJson {
  const a = result.action;
  const head = {
    formatVersion: ONE_OFF_FORMAT_VERSION as 1,
    command: a.action,
    recovered,
    domain: { key: a.domain.key, uuid: a.domain.uuid, name: a.domain.name },
    snapshot: a.snapshot,
    mode: a.mode,
    type: a.type,
    disks: [...a.disks],
  };
  const what = a.action === 'create'
    ? { description: a.description ?? '', pinned: a.pin ?? false }
    : { origin: origin ?? 'foreign', merge: a.merge ?? null };
  return { ...head, ...what, status: result.status, message: result.message, warnings: result.warnings ?? [] };
}

function summary(j: OneOffJson): string {
  return `${j.mode}, ${j.type}, disk${j.disks.length === 1 ? '' : 's'} ${j.disks.join(', ')}`;
}

/** Text view: recovery lines, then one line saying what happened (failures and warnings go to `err`). */
export function renderOneOffText(j: OneOffJson): { out: string; err: string } {
  const rec = j.recovered.map((r) => `recovered: ${r}\n`).join('');
  if (j.status === 'ok') {
    const line = j.command === 'create'
      ? `created snapshot ${j.snapshot} of ${j.domain.name} (${summary(j)})${j.pinned ? ', pinned' : ''}${j.message ? `; ${j.message}` : ''}\n`
      : `deleted snapshot ${j.snapshot} of ${j.domain.name}\n`;
    return { out: rec + line, err: j.warnings.map((w) => `warning: ${w}\n`).join('') };
  }
  return { out: rec, err: `${j.command} of snapshot ${j.snapshot} on ${j.domain.name} ${j.status === 'failed' ? 'FAILED' : 'skipped'}: ${j.message}; see xensnap list ${j.domain.name}\n` };
}

/**
 * What `delete` shows before asking: the snapshot, and each disk's step exactly as the backend
 * will run it (the same steps are handed to it), with what it moves and the room it needs.
 */
export function renderDeletePreview(a: ExecAction, snap: ObservedSnapshot): string {
  const lines = [`Delete snapshot ${snap.name} of ${a.domain.name} (${snapshotOrigin(snap)}, ${snap.type}, disk${a.disks.length === 1 ? '' : 's'} ${a.disks.join(', ')}):`];
  if (!a.merge) lines.push('  the images were not observed: the backend decides each disk when it runs');
  else if (a.merge.disks.length === 0) lines.push('  nothing of it is left in the images: only its record goes');
  else for (const s of a.merge.disks) lines.push(`  ${stepText(s, true)}`);
  return lines.join('\n') + '\n';
}
