// The one step-name convention of every journal (docs: src/journal/README.md).

/**
 * Who owns a step: the module that writes it and the only one that recovers it. Each owner
 * exports its steps as a tagged union with a type guard.
 */
export const STEP_OWNERS = ['record', 'live', 'revert', 'qdisk-offline', 'qdisk-online', 'blktap'] as const;
export type StepOwner = (typeof STEP_OWNERS)[number];

/** `<owner>.<step>`: the owner's name, a dot, the step in kebab-case. */
const STEP_NAME = /^([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)$/;

/** The owner a step name claims, or null when the name does not follow the convention or the owner is unknown. */
export function stepOwner(step: string): StepOwner | null {
  const m = STEP_NAME.exec(step);
  if (!m) return null;
  return (STEP_OWNERS as readonly string[]).includes(m[1]!) ? (m[1] as StepOwner) : null;
}

/**
 * How a step is named in traces and crash points: `<owner>.<step>`, and `:<vdev>` for a
 * per-disk step (its detail names the disk in `vdev`), e.g. `blktap.link-frozen:xvdb`.
 */
export function stepLabel(step: string, detail: object): string {
  const vdev = (detail as { vdev?: unknown }).vdev;
  return typeof vdev === 'string' && vdev ? `${step}:${vdev}` : step;
}
