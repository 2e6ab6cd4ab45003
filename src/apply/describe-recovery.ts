import { stepLabel } from '../journal/step-names.js';
import type { JournalOp } from './journal-ops.js';
import type { PendingOp } from './pending-work.js';
import { unknownVariant } from '../journal/unknown-variant.js';

/** The steps of a journal in words: `revert.build-leaf:xvda done, revert.pre-revert in flight`. */
export function stepsInWords(p: Pick<PendingOp, 'steps'>): string {
  if (!p.steps.length) return 'no step began';
  return p.steps.map((s) => `${stepLabel(s.step, s.detail)} ${s.done ? 'done' : 'in flight'}`).join(', ');
}

const has = (p: PendingOp, step: string, done?: boolean) => p.steps.some((s) => s.step === step && (done === undefined || s.done === done));

/**
 * What recovery will do with a journal, decided from the journal alone (the files decide the
 * details): pure, for `xensnap recover --dry-run`.
 */
export function recoveryIntent(p: PendingOp): string {
  const op: JournalOp = p.op;
  switch (op.action) {
    case 'create':
      if (has(p, 'record.write')) return 'roll the create forward: the snapshot had been made; write its record';
      if (!p.steps.length) return 'close the journal: no image had been touched';
      return `roll the create back${p.steps.some((s) => s.step.startsWith('live.')) ? ' (and resume the domain if the live snapshot left it paused)' : ''}, or keep and record the snapshot when the guest already wrote past it`;
    case 'delete':
      return p.steps.length ? 'finish the delete: merge the rest of the snapshot away, then remove its record' : 'close the journal: no image had been touched';
    case 'revert': {
      const switches = op.detail.disks.filter((d) => d.method !== 'load-tag');
      const all = switches.every((d) => p.steps.some((s) => s.step === 'revert.switch-disk' && s.detail.vdev === d.vdev && s.done));
      if (all && !op.detail.memory) return `finish the revert: ${op.domainName} is reverted to ${op.detail.target}; keep the pre-revert snapshot ${op.detail.preRevert}`;
      if (all && has(p, 'revert.restore')) return `finish the restore if the hypervisor holds ${op.domainName} (it is then reverted), otherwise roll the revert back`;
      return `roll the revert back: ${op.domainName}'s disks as before, no pre-revert snapshot${has(p, 'revert.stop') ? ` (--stop had stopped it: it stays shut off)` : ''}`;
    }
    default:
      return unknownVariant(op, 'operation', p.file);
  }
}
