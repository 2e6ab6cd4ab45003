import type { Domain } from '../model/domain.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import type { DiskDeleteStep } from '../plan/plan-types.js';

/** A journal that adds the disk's whole planned step to every intent, so recovery can run it again. */
export function carryingPlan<J extends { intent(step: string, detail: Record<string, unknown>): Promise<void>; done(step: string): Promise<void> }>(journal: J, step: DiskDeleteStep): J {
  return { ...journal, intent: (name: string, detail: Record<string, unknown>) => journal.intent(name, { ...detail, plan: step }), done: (name: string) => journal.done(name) };
}

/** The planned steps an interrupted delete's journal carries, the last one per disk, in journal order. */
export function plannedStepsOf(steps: { detail: Record<string, unknown> }[]): DiskDeleteStep[] {
  const byVdev = new Map<string, DiskDeleteStep>();
  for (const s of steps) {
    const p = s.detail.plan as DiskDeleteStep | undefined;
    if (p && typeof p === 'object' && typeof p.vdev === 'string' && typeof p.image === 'string' && typeof p.method === 'string') byVdev.set(p.vdev, p);
  }
  return [...byVdev.values()];
}

/** The records of the disks a journal's planned steps name (for recovery to run them again). */
export function recordsOfSteps(steps: DiskDeleteStep[], domain: Domain): SnapshotDiskRecord[] {
  return steps.map((s) => {
    const d = domain.disks.find((x) => x.vdev === s.vdev);
    const base = { vdev: s.vdev, format: d?.format ?? 'qcow2', backend: d?.backend ?? 'qdisk' };
    return s.method === 'delete-tag' ? { ...base, tag: s.tag } : { ...base, frozenPath: s.image };
  });
}

/** The images a planned step names (F and its children): this disk's, wherever they sit. */
export function stepImages(step: DiskDeleteStep): string[] {
  return [step.image, ...(step.method === 'stream' ? step.children.map((c) => c.path) : step.method === 'commit' ? [step.child] : [])];
}
