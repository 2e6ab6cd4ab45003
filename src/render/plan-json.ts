import type { Plan } from '../plan/plan-types.js';
import { serializePlan } from '../plan/plan-file.js';

/** `--json`: the Plan object itself, as saved plan files hold it. */
export function renderPlanJson(plan: Plan): string {
  return serializePlan(plan);
}
