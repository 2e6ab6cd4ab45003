import type { Domain } from '../model/domain.js';
import type { Finding, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { deleteAction } from './delete-action.js';
import { planOrphans } from './plan-orphans.js';
import { periodKeys } from './period-keys.js';
import type { PlanAction, PlanDomainRef, PlanKept } from './plan-types.js';
import type { PolicyContext } from './policy-context.js';
import { maskRules, retentionMasks } from './retention/apply-retention.js';
import type { RetentionItem } from './retention/retention-item.js';
import { selectDisks, selects, selectsIdentity } from './select.js';
import { planDeselected } from './plan-deselected.js';
import { preflightCreate } from './preflight-create.js';
import type { GuestAgentFact } from '../model/observed.js';
import type { RefusalFn } from './snapshotability.js';
import { slotMsOf, timeMsOf } from './snapshot-time.js';

/** A domain's plan before the run-wide limits: deletes here are still candidates. */
export interface DomainPlan {
  ref: PlanDomainRef;
  creates: PlanAction[];
  deletes: PlanAction[];
  kept: PlanKept[];
  findings: Finding[];
  /** Managed snapshots now plus those created: the base of the more-than-half guard. */
  managedAfterCreate: number;
  /** Why no delete may run for this domain (a create it needs cannot happen), or null. */
  blockDeletes: string | null;
}

const NO_POLICY = '\u0000manual';

/**
 * Plans one domain against every policy. `policies` are sorted by name. `held`: policies whose
 * due create the storage guard holds back (no create, retention without it, deletes allowed).
 */
export function planDomain(
  domain: Domain,
  od: ObservedDomain | undefined,
  snaps: readonly ObservedSnapshot[],
  policies: readonly PolicyContext[],
  policyNames: ReadonlySet<string>,
  refusal: RefusalFn,
  held?: ReadonlySet<string>,
  agents?: Record<string, GuestAgentFact>,
): DomainPlan {
  const ref: PlanDomainRef = { key: domain.key, uuid: domain.uuid, name: domain.name };
  const fref = { uuid: domain.uuid, name: domain.name };
  const out: DomainPlan = { ref, creates: [], deletes: [], kept: [], findings: [], managedAfterCreate: 0, blockDeletes: null };
  const groups = new Map<string, ObservedSnapshot[]>();
  for (const s of snaps) {
    if (!s.managed || !s.record) {
      out.kept.push({ domain: ref, policy: null, snapshot: s.name, rules: ['foreign'] });
      continue;
    }
    out.managedAfterCreate++;
    const key = s.record.policy ?? NO_POLICY;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  const manual = groups.get(NO_POLICY) ?? [];
  for (const s of manual) {
    out.kept.push({ domain: ref, policy: null, snapshot: s.name, rules: s.record!.pinned ? ['manual', 'pinned'] : ['manual'] });
  }

  for (const pc of policies) {
    const p = pc.policy;
    const group = groups.get(p.name) ?? [];
    let pending: PlanAction | null = null;
    if (selects(p, domain)) {
      const sel = selectDisks(p, domain);
      let canCreate = true;
      for (const vdev of sel.missing) {
        out.findings.push({ kind: 'skipped', domain: fref, message: `policy ${p.name}: disk ${vdev} is not a disk of this domain; no snapshot is created` });
        canCreate = false;
      }
      for (const s of sel.skipped) {
        out.findings.push({ kind: 'skipped', domain: fref, message: `policy ${p.name}: disk ${s.vdev} ${s.why}; it is left out` });
      }
      for (const d of sel.disks) {
        const why = refusal(d, p.type);
        if (why === null) continue;
        out.findings.push({ kind: 'unsnapshotable', domain: fref, message: `policy ${p.name}: disk ${d.vdev} (${d.backend}, ${d.format}) cannot take an ${p.type} snapshot: ${why}; no snapshot is created` });
        canCreate = false;
      }
      const pre = preflightCreate({ mode: p.mode, quiesce: p.quiesce, who: `policy ${p.name}` }, domain, od, sel.disks, agents);
      for (const why of pre.blockers) out.findings.push({ kind: 'blocked', domain: fref, message: `policy ${p.name}: ${why}; no snapshot is created` });
      if (pre.blockers.length) canCreate = false;
      if (sel.disks.length === 0 && sel.missing.length === 0) {
        out.findings.push({ kind: 'skipped', domain: fref, message: `policy ${p.name}: the domain has no disk to snapshot` });
        canCreate = false;
      }
      const due = pc.slotMs !== null && !group.some((s) => slotMsOf(s) === pc.slotMs);
      if (due) {
        const name = pc.snapshotName!;
        if (snaps.some((s) => s.name === name)) {
          out.findings.push({ kind: 'skipped', domain: fref, message: `policy ${p.name}: snapshot name ${name} is already taken by another snapshot; slot ${pc.slotIso} is not filled` });
          out.blockDeletes ??= `snapshot ${name} cannot be created`;
        } else if (!canCreate) {
          out.blockDeletes ??= `policy ${p.name} cannot create its snapshot`;
        } else if (held?.has(p.name)) {
          // held by the storage guard (capacity.ts): retention runs as if it were not due, and
          // deletes still go, because they are what frees the space
        } else {
          pending = {
            action: 'create',
            domain: ref,
            policy: p.name,
            snapshot: name,
            slot: pc.slotIso,
            mode: pre.mode,
            type: p.type,
            disks: sel.disks.map((d) => d.vdev),
            reason: `due: slot ${pc.slotIso} has no snapshot`,
            ...(pre.notes.length ? { notes: pre.notes } : {}),
          };
          out.creates.push(pending);
          out.managedAfterCreate++;
        }
      }
    } else if (group.length && !selectsIdentity(p, domain)) {
      planDeselected(out, od, group, pc);
      continue;
    }
    if (group.length === 0 && !pending) continue;
    retainGroup(out, od, group, pc, pending);
  }

  planOrphans(out, od, groups, policyNames, NO_POLICY);
  return out;
}

const NEWEST = 1 << 7;
const PINNED = 1 << 8;
const rulesMemo = new Map<number, string[]>();

/** Rule lists shared between kept entries (frozen: a million equal arrays would be waste). */
function keptRules(mask: number): string[] {
  let r = rulesMemo.get(mask);
  if (!r) {
    r = Object.freeze([...maskRules(mask & 0x7f), ...(mask & NEWEST ? ['newest'] : []), ...(mask & PINNED ? ['pinned'] : [])]) as string[];
    rulesMemo.set(mask, r);
  }
  return r;
}

interface Entry extends RetentionItem {
  s: ObservedSnapshot | null;
  name: string;
}

function retainGroup(out: DomainPlan, od: ObservedDomain | undefined, group: ObservedSnapshot[], pc: PolicyContext, pending: PlanAction | null): void {
  const tz = pc.policy.timezone;
  // one object per snapshot: it is both the retention item and what it stands for
  const entries: Entry[] = group.map((s) => {
    const t = timeMsOf(s);
    return { s, timeMs: t, keys: periodKeys(tz, t), name: s.name };
  });
  if (pending) entries.push({ s: null, timeMs: pc.slotMs!, keys: periodKeys(tz, pc.slotMs!), name: pending.snapshot });
  entries.sort((a, b) => b.timeMs - a.timeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const masks = retentionMasks(entries, pc.policy.retention);
  for (let i = 0; i < entries.length; i++) {
    const s = entries[i]!.s;
    if (!s) continue; // the pending create
    const mask = masks[i]! | (i === 0 ? NEWEST : 0) | (s.record!.pinned ? PINNED : 0);
    if (mask !== 0) out.kept.push({ domain: out.ref, policy: pc.policy.name, snapshot: s.name, rules: keptRules(mask) });
    else out.deletes.push(deleteAction(out.ref, s, pc.deleteReason));
  }
}
