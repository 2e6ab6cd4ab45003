import type { Disk, Domain } from '../model/domain.js';
import type { Policy } from '../model/policy.js';
import { matchGlob } from './glob.js';

/**
 * Whether a policy selects a domain: its name matches a `names` glob or its UUID is listed in
 * `uuids`, it is not excluded (`exclude` holds name globs or exact UUIDs), and its state is
 * listed in `states` (an empty list means every state). A selector with neither names nor
 * uuids selects nothing: an empty selector must not sweep a whole host.
 */
export function selects(policy: Policy, domain: Domain): boolean {
  const sel = policy.selector;
  return selectsIdentity(policy, domain) && (sel.states.length === 0 || sel.states.includes(domain.state));
}

/**
 * The selector without `states`: whether the policy is meant for this domain at all. A domain
 * that only changed state (shut off for maintenance) is still the policy's, and keeps its
 * retention; one whose name or uuid no longer matches (or that is now excluded) is not.
 */
export function selectsIdentity(policy: Policy, domain: Domain): boolean {
  const sel = policy.selector;
  const byName = sel.names.some((g) => matchGlob(g, domain.name));
  const byUuid = domain.uuid !== null && sel.uuids.some((u) => u.toLowerCase() === domain.uuid!.toLowerCase());
  if (!byName && !byUuid) return false;
  return !sel.exclude.some((g) => matchGlob(g, domain.name) || (domain.uuid !== null && g.toLowerCase() === domain.uuid.toLowerCase()));
}

/** The disks a policy would snapshot on a domain, and the selection problems to report. */
export interface DiskSelection {
  disks: Disk[];
  /** vdevs the policy names that the domain does not have. */
  missing: string[];
  /** named disks that are never snapshot targets, with why. */
  skipped: Array<{ vdev: string; why: string }>;
}

/**
 * `disks: null` → every disk except CD-ROMs and read-only disks, left out silently (they hold
 * nothing a snapshot could save). A CD-ROM or read-only disk named explicitly is reported.
 */
export function selectDisks(policy: Policy, domain: Domain): DiskSelection {
  const out: DiskSelection = { disks: [], missing: [], skipped: [] };
  if (policy.disks === null) {
    out.disks = domain.disks.filter((d) => !d.cdrom && !d.readonly);
    return out;
  }
  for (const vdev of policy.disks) {
    const d = domain.disks.find((x) => x.vdev === vdev);
    if (!d) out.missing.push(vdev);
    else if (d.cdrom) out.skipped.push({ vdev, why: 'is a CD-ROM' });
    else if (d.readonly) out.skipped.push({ vdev, why: 'is read-only' });
    else out.disks.push(d);
  }
  return out;
}
