import { UserInputError } from '../errors.js';
import type { Observed } from '../model/observed.js';
import { fingerprintObserved } from './fingerprint.js';
import { PLAN_FORMAT_VERSION, type Plan } from './plan-types.js';
import { checkPlanShape } from './plan-shape.js';

/** The saved-plan file text: the Plan as indented JSON, newline-terminated. */
export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** Reads a saved plan; any problem is a UserInputError naming the file and the JSON path. */
export function parsePlanFile(text: string, file: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserInputError(`${file}: not a plan file: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserInputError(`${file}: not a plan file: expected a JSON object`);
  }
  const v = (data as Record<string, unknown>).formatVersion;
  if (v !== PLAN_FORMAT_VERSION) {
    throw new UserInputError(`${file}: unsupported plan formatVersion ${JSON.stringify(v)} (this xensnap reads ${PLAN_FORMAT_VERSION})`);
  }
  const problem = checkPlanShape(data);
  if (problem) throw new UserInputError(`${file}: not a valid plan: ${problem}`);
  return data as Plan;
}

/**
 * Null when `observed` is the state the plan was made against (same fingerprint over the
 * plan's scope), else the reason, starting "plan is stale:".
 */
export function checkStale(plan: Plan, observed: Observed): string | null {
  const now = fingerprintObserved(observed, plan.scope);
  if (now === plan.fingerprint) return null;
  return `plan is stale: the snapshots, disks or domains changed since it was made at ${plan.at} (fingerprint ${plan.fingerprint.slice(0, 12)} is now ${now.slice(0, 12)}); make a new plan`;
}
