import type { Finding } from '../model/observed.js';
import type { Plan, PlanAction, PlanDomainRef, PlanKept } from '../plan/plan-types.js';

/** One domain's part of a plan, in plan order. `domain` null holds host-wide findings. */
export interface DomainBlock {
  domain: PlanDomainRef | null;
  actions: PlanAction[];
  kept: PlanKept[];
  findings: Finding[];
}

/**
 * Groups a plan by domain for the views. Findings carry {uuid, name} only, so they join on
 * name (then uuid); plan order is kept, host-wide findings come first.
 */
export function domainBlocks(plan: Plan): DomainBlock[] {
  const blocks: DomainBlock[] = [];
  const byKey = new Map<string, DomainBlock>();
  const byName = new Map<string, DomainBlock>();
  const host: DomainBlock = { domain: null, actions: [], kept: [], findings: [] };
  const get = (ref: PlanDomainRef): DomainBlock => {
    let b = byKey.get(ref.key);
    if (!b) {
      b = { domain: ref, actions: [], kept: [], findings: [] };
      byKey.set(ref.key, b);
      byName.set(ref.name, b);
      blocks.push(b);
    }
    return b;
  };
  for (const a of plan.actions) get(a.domain).actions.push(a);
  for (const k of plan.kept) get(k.domain).kept.push(k);
  for (const f of plan.findings) {
    if (!f.domain) {
      host.findings.push(f);
      continue;
    }
    let b = byName.get(f.domain.name);
    if (!b) {
      b = { domain: { key: f.domain.uuid ?? `name-${f.domain.name}`, uuid: f.domain.uuid, name: f.domain.name }, actions: [], kept: [], findings: [] };
      byName.set(f.domain.name, b);
      blocks.push(b);
    }
    b.findings.push(f);
  }
  blocks.sort((a, b) => cmp(a.domain!.name, b.domain!.name) || cmp(a.domain!.key, b.domain!.key));
  return host.findings.length ? [host, ...blocks] : blocks;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
