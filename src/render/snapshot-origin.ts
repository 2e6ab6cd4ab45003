import type { ObservedSnapshot } from '../model/snapshot.js';

/** `foreign`, `manual`, or the policy name: who a snapshot belongs to. */
export function snapshotOrigin(s: ObservedSnapshot): string {
  if (!s.managed || !s.record) return 'foreign';
  return s.record.policy ?? 'manual';
}
