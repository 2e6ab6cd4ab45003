import { hasNullableStrings, hasObjectArray, hasStrings, type RawStep } from '../../journal/step-detail.js';

/** The per-disk steps of an online external create, in order (LIVE-EXTERNAL steps 1–5). */
export const ONLINE_CREATE_STEPS = ['create-overlay', 'link-frozen', 'swap-file-node', 'rename-overlay', 'add-overlay-nodes'] as const;
export type OnlineCreateStepName = (typeof ONLINE_CREATE_STEPS)[number];

/**
 * Detail of the online create steps: the disk's paths and its live top node, plus the node names
 * the step adds (each step journals the names it is about to create).
 */
export interface OnlineCreateDetail {
  vdev: string;
  leaf: string;
  frozen: string;
  newPath: string;
  topNode: string;
  oldFileNode?: string;
  newFileNode?: string;
  tmpNode?: string;
  overlayNode?: string;
  overlayFileNode?: string;
}

type Each<N extends string, D> = N extends string ? { step: N; detail: D } : never;

/** The steps of the qdisk backend's live (QMP) operations, as they appear in the journal. */
export type QdiskOnlineStep =
  | Each<`qdisk-online.${OnlineCreateStepName}`, OnlineCreateDetail>
  | { step: 'qdisk-online.transaction'; detail: { snapshot: string; disks: { vdev: string; node: string; overlay: string }[] } }
  | { step: 'qdisk-online.internal-transaction'; detail: { name: string; disks: { vdev: string; node: string; path: string }[] } }
  | { step: 'qdisk-online.delete-internal'; detail: { vdev: string; node: string; path: string; tag: string } }
  | { step: 'qdisk-online.stream'; detail: { vdev: string; frozen: string; into: string; intoNode: string; base: string | null; baseNode: string | null; jobId: string } }
  | { step: 'qdisk-online.drop-nodes'; detail: { vdev: string; nodes: string[] } }
  | { step: 'qdisk-online.unlink-frozen'; detail: { vdev: string; frozen: string } };

const PREFIX = 'qdisk-online.';

/** The short name (`link-frozen`) of an online create step, or null for any other step. */
export function onlineCreateStepName(step: string): OnlineCreateStepName | null {
  if (!step.startsWith(PREFIX)) return null;
  const short = step.slice(PREFIX.length);
  return (ONLINE_CREATE_STEPS as readonly string[]).includes(short) ? (short as OnlineCreateStepName) : null;
}

/** True for a well-formed qdisk online step: a known name and every field its recovery reads. */
export function isQdiskOnlineStep(s: RawStep): s is QdiskOnlineStep {
  const d = s.detail;
  if (onlineCreateStepName(s.step)) return hasStrings(d, ['vdev', 'leaf', 'frozen', 'newPath', 'topNode']);
  switch (s.step) {
    case 'qdisk-online.transaction': return hasStrings(d, ['snapshot']) && hasObjectArray(d, 'disks');
    case 'qdisk-online.internal-transaction': return hasStrings(d, ['name']) && hasObjectArray(d, 'disks');
    case 'qdisk-online.delete-internal': return hasStrings(d, ['vdev', 'node', 'path', 'tag']);
    case 'qdisk-online.stream': return hasStrings(d, ['vdev', 'frozen', 'into', 'intoNode', 'jobId']) && hasNullableStrings(d, ['base', 'baseNode']);
    case 'qdisk-online.drop-nodes': return hasStrings(d, ['vdev']) && Array.isArray((d as { nodes?: unknown }).nodes);
    case 'qdisk-online.unlink-frozen': return hasStrings(d, ['vdev', 'frozen']);
    default: return false;
  }
}
