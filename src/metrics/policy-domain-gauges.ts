import type { ReconcileReport } from '../loop/reconciler.js';

/** Per (policy, domain) figures after a run, derived from its plan and results. */
export interface PolicyDomainFigures {
  policy: string;
  domain: string;
  /** Managed snapshots of the pair after the run: kept + created ok + deletes that did not happen. */
  managed: number;
  /** Slot time (ms) of the newest of them, from the `<policy>-YYYYMMDDTHHMMSSZ` name; null when none. */
  newestMs: number | null;
  /** 1 when nothing is due that did not get created and no delete of the pair was held back. */
  compliant: 0 | 1;
}

const STAMP_RE = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The slot instant encoded in a policy snapshot name, or null. */
export function slotOfName(name: string): number | null {
  const m = STAMP_RE.exec(name);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Figures for every (policy in the plan, domain) pair the plan mentions. Pure. A pair the plan
 * does not mention (policy selects no domain) has no figures.
 */
export function policyDomainFigures(report: ReconcileReport): PolicyDomainFigures[] {
  const inForce = new Set(report.plan.policies.map((p) => p.name));
  const done = new Map<string, string>();
  for (const r of report.results) done.set(`${r.action.action}|${r.action.domain.key}|${r.action.snapshot}`, r.status);
  const pairs = new Map<string, PolicyDomainFigures & { names: string[] }>();
  const pair = (policy: string, domainKey: string, domain: string) => {
    const k = `${policy}\0${domainKey}`;
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { policy, domain, managed: 0, newestMs: null, compliant: 1, names: [] }));
    return p;
  };
  for (const kept of report.plan.kept) {
    if (kept.policy === null || !inForce.has(kept.policy)) continue;
    const p = pair(kept.policy, kept.domain.key, kept.domain.name);
    p.names.push(kept.snapshot);
    if (kept.rules.includes('held-back')) p.compliant = 0;
  }
  for (const a of report.plan.actions) {
    if (a.policy === null || !inForce.has(a.policy)) continue;
    const p = pair(a.policy, a.domain.key, a.domain.name);
    const status = done.get(`${a.action}|${a.domain.key}|${a.snapshot}`);
    if (a.action === 'create') {
      if (status === 'ok') p.names.push(a.snapshot);
      else p.compliant = 0;
    } else if (status !== 'ok') p.names.push(a.snapshot);
  }
  return [...pairs.values()]
    .map(({ names, ...p }) => {
      const slots = names.map(slotOfName).filter((x): x is number => x !== null);
      return { ...p, managed: names.length, newestMs: slots.length ? Math.max(...slots) : null };
    })
    .sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}
