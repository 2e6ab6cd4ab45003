import { hasStrings, isOneOf, type RawStep } from '../journal/step-detail.js';

/**
 * The steps takeLiveSnapshot journals itself around the disk backend's steps: they tell crash
 * recovery that the domain may have been left paused, or a memory image half written.
 */
export type LiveStep =
  | { step: 'live.pause'; detail: { domain: string; hypervisor: string; stateBefore: string } }
  | { step: 'live.save-memory'; detail: { file: string } }
  | { step: 'live.disks'; detail: { snapshot: string; type: string; memory?: string } }
  | { step: 'live.resume'; detail: { domain: string } };

/** True for a well-formed live step: a known name and every field its recovery reads. */
export function isLiveStep(s: RawStep): s is LiveStep {
  const d = s.detail;
  switch (s.step) {
    case 'live.pause': return hasStrings(d, ['domain', 'hypervisor']) && isOneOf(d, 'stateBefore', ['running', 'paused', 'shutoff']);
    case 'live.save-memory': return hasStrings(d, ['file']);
    case 'live.disks': return hasStrings(d, ['snapshot', 'type']);
    case 'live.resume': return hasStrings(d, ['domain']);
    default: return false;
  }
}
