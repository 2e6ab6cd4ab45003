import type { Domain } from '../model/domain.js';
import type { Finding } from '../model/observed.js';
import type { Policy } from '../model/policy.js';
import { selectDisks, selects } from './select.js';

/**
 * One `info` finding per disk that an internal and an external policy both select: the tags of
 * the internal one end up inside frozen images and read through them, so deleting either kind
 * needs the offline merges that keep both exact (a cluster-level merge, or a commit), and on a
 * running domain those deletes wait until it is shut off. Pure; `policies` sorted by name.
 */
export function mixedPolicyFindings(policies: readonly Policy[], domain: Domain): Finding[] {
  const byDisk = new Map<string, { internal: string[]; external: string[] }>();
  for (const p of policies) {
    if (!selects(p, domain)) continue;
    for (const d of selectDisks(p, domain).disks) {
      let e = byDisk.get(d.vdev);
      if (!e) byDisk.set(d.vdev, (e = { internal: [], external: [] }));
      e[p.type].push(p.name);
    }
  }
  const out: Finding[] = [];
  for (const [vdev, e] of byDisk) {
    if (!e.internal.length || !e.external.length) continue;
    out.push({
      kind: 'info',
      domain: { uuid: domain.uuid, name: domain.name },
      message:
        `disk ${vdev} is selected by internal polic${e.internal.length > 1 ? 'ies' : 'y'} ${e.internal.join(', ')} and external polic${e.external.length > 1 ? 'ies' : 'y'} ${e.external.join(', ')}: ` +
        `internal snapshots end up inside frozen images, so deleting either kind needs an offline merge that keeps the other exact (a cluster-level merge or a commit), ` +
        `and while the domain runs those deletes wait until it is shut off`,
    });
  }
  return out;
}
