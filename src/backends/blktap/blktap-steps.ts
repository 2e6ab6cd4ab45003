import { hasBooleans, hasNullableStrings, hasStrings, type RawStep } from '../../journal/step-detail.js';

/** Detail of a freeze step: the leaf L, its frozen name F and the new child's temporary path. */
export interface FreezeDetail {
  vdev: string;
  leaf: string;
  frozen: string;
  child: string;
}

/** Detail of a removal step: F leaves P ← F ← C (parent null when F is the root). */
export interface RemovalDetail {
  vdev: string;
  leaf: string;
  frozen: string;
  child: string;
  parent: string | null;
}

type Each<N extends string, D> = N extends string ? { step: N; detail: D } : never;

/** The steps of the blktap backend (VHD chains), as they appear in the journal. */
export type BlktapStep =
  | Each<'blktap.link-frozen' | 'blktap.create-child' | 'blktap.swap-leaf', FreezeDetail>
  | { step: 'blktap.rollback'; detail: FreezeDetail & { swapped: boolean } }
  | Each<'blktap.stream' | 'blktap.relink' | 'blktap.remove-frozen', RemovalDetail>;

const FREEZE: readonly string[] = ['blktap.link-frozen', 'blktap.create-child', 'blktap.swap-leaf'];
const REMOVAL: readonly string[] = ['blktap.stream', 'blktap.relink', 'blktap.remove-frozen'];

/** True for a well-formed blktap step: a known name and every field its recovery reads. */
export function isBlktapStep(s: RawStep): s is BlktapStep {
  const d = s.detail;
  const paths = hasStrings(d, ['vdev', 'leaf', 'frozen', 'child']);
  if (FREEZE.includes(s.step)) return paths;
  if (s.step === 'blktap.rollback') return paths && hasBooleans(d, ['swapped']);
  if (REMOVAL.includes(s.step)) return paths && hasNullableStrings(d, ['parent']);
  return false;
}
