import type { SnapshotRecord } from '../model/snapshot.js';
import { hasNullableStrings, hasObject, hasStrings, type RawStep } from '../journal/step-detail.js';

/**
 * The metadata steps of an operation: a record is written only after the images hold the
 * snapshot (its intent carries the whole record, so recovery rolls a crash there forward), and
 * removed only after the images no longer hold it (with a live snapshot's memory image).
 */
export type RecordStep =
  | { step: 'record.write'; detail: { domainKey: string; snapshot: string; record: SnapshotRecord } }
  | { step: 'record.remove'; detail: { domainKey: string; snapshot: string; memoryFile: string | null } };

/** True for a well-formed record step: a known name and every field its recovery reads. */
export function isRecordStep(s: RawStep): s is RecordStep {
  const d = s.detail;
  switch (s.step) {
    case 'record.write': return hasStrings(d, ['domainKey', 'snapshot']) && hasObject(d, 'record');
    case 'record.remove': return hasStrings(d, ['domainKey', 'snapshot']) && hasNullableStrings(d, ['memoryFile']);
    default: return false;
  }
}
