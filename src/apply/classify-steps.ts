import { FormatError } from '../errors.js';
import { isBlktapStep } from '../backends/blktap/blktap-steps.js';
import { isQdiskOfflineStep } from '../backends/qdisk/offline-steps.js';
import { isQdiskOnlineStep } from '../backends/qdisk/online-steps.js';
import { isLiveStep, type LiveStep } from '../hypervisor/live-steps.js';
import type { ReadStep } from '../journal/step-detail.js';
import { stepOwner, type StepOwner } from '../journal/step-names.js';
import { unknownVariant } from '../journal/unknown-variant.js';
import { isRevertStep, type RevertStep } from '../revert/revert-steps.js';
import { isRecordStep, type RecordStep } from './record-steps.js';
import type { JournalOp } from './journal-ops.js';

type Done<S> = S & { done: boolean };

/** A journal's steps, each checked by its owner's guard and grouped by owner, in journal order. */
export interface ClassifiedSteps {
  record: Done<RecordStep>[];
  live: Done<LiveStep>[];
  revert: Done<RevertStep>[];
  /** The disk backend's steps (qdisk or blktap, as the operation says), checked by its guards, for its own recovery. */
  backend: ReadStep[];
}

/** Which owners may write into a journal of each operation. */
const ALLOWED: Record<JournalOp['action'], readonly StepOwner[]> = {
  create: ['record', 'live', 'qdisk-offline', 'qdisk-online', 'blktap'],
  delete: ['record', 'qdisk-offline', 'qdisk-online', 'blktap'],
  revert: ['revert', 'record', 'qdisk-offline', 'blktap'],
};

/**
 * Checks every step of a journal before recovery touches anything: a step whose name follows no
 * owner, whose owner does not write this kind of operation (or another backend than the
 * operation's), or whose detail lacks what its recovery reads is a FormatError naming the file.
 */
export function classifySteps(op: JournalOp, steps: readonly ReadStep[], file: string): ClassifiedSteps {
  const out: ClassifiedSteps = { record: [], live: [], revert: [], backend: [] };
  for (const s of steps) {
    const owner = stepOwner(s.step);
    if (!owner) throw new FormatError(file, `unknown step ${JSON.stringify(s.step)}`);
    if (!ALLOWED[op.action].includes(owner)) throw new FormatError(file, `step ${s.step} does not belong to a ${op.action}`);
    const bad = (): never => {
      throw new FormatError(file, `step ${s.step} is malformed (detail ${JSON.stringify(s.detail)})`);
    };
    const wrongBackend = (): never => {
      throw new FormatError(file, `step ${s.step} does not belong to the ${op.backend} backend of this ${op.action}`);
    };
    switch (owner) {
      case 'record':
        if (isRecordStep(s)) out.record.push(s);
        else bad();
        break;
      case 'live':
        if (isLiveStep(s)) out.live.push(s);
        else bad();
        break;
      case 'revert':
        if (isRevertStep(s)) out.revert.push(s);
        else bad();
        break;
      case 'qdisk-offline':
      case 'qdisk-online':
        if (op.backend !== 'qdisk') wrongBackend();
        if (isQdiskOfflineStep(s) || isQdiskOnlineStep(s)) out.backend.push(s);
        else bad();
        break;
      case 'blktap':
        if (op.backend !== 'blktap') wrongBackend();
        if (isBlktapStep(s)) out.backend.push(s);
        else bad();
        break;
      default:
        unknownVariant(owner, 'step owner', file);
    }
  }
  return out;
}
