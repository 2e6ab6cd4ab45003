import { createHash } from 'node:crypto';
import type { Observed, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';

/**
 * sha256 (hex) over a canonical text of what a plan depends on: each domain's identity, state
 * and disks, its chains' shape and internal snapshot names, and every snapshot with the record
 * fields planning reads, in domain-key then name order. Sizes are left out on purpose: a
 * running guest changes them every second, and a plan must not go stale for that. `scope`
 * limits it to some domain keys. Fields are NUL-separated (no path or name holds NUL) and
 * nullable ones tagged, so the text is unambiguous.
 */
export function fingerprintObserved(observed: Observed, scope: Iterable<string> | null = null): string {
  const keys = scope ? new Set(scope) : null;
  const domains = new Map<string, ObservedDomain>();
  for (const od of observed.domains) if (!keys || keys.has(od.domain.key)) domains.set(od.domain.key, od);
  const snaps = new Map<string, ObservedSnapshot[]>();
  for (const s of observed.snapshots) {
    if (keys && !keys.has(s.domainKey)) continue;
    let g = snaps.get(s.domainKey);
    if (!g) snaps.set(s.domainKey, (g = []));
    g.push(s);
  }
  const all = [...new Set([...domains.keys(), ...snaps.keys()])].sort(cmp);
  const out = new HashWriter();
  for (const key of all) {
    const od = domains.get(key);
    out.write(od ? domainText(od) : `D${f(key)}absent\n`);
    const g = snaps.get(key);
    if (g) {
      g.sort((a, b) => cmp(a.name, b.name));
      for (const s of g) out.write(snapshotText(s));
    }
  }
  return out.digest();
}

function f(s: string | null | undefined): string {
  return s === null || s === undefined ? '\u0000n' : `\u0000s${s}`;
}

function domainText(od: ObservedDomain): string {
  const d = od.domain;
  let t = `D${f(d.key)}${f(d.uuid)}${f(d.name)}${f(d.state)}`;
  for (const k of d.disks) t += `d${f(k.vdev)}${f(k.path)}${f(k.format)}${f(k.backend)}${k.readonly ? 1 : 0}${k.cdrom ? 1 : 0}`;
  for (const k of [...od.disks].sort((a, b) => cmp(a.vdev, b.vdev))) {
    t += `o${f(k.vdev)}${f(k.leaf)}`;
    for (const c of k.chain) t += `c${f(c.path)}${f(c.format)}${f(c.backing)}`;
    for (const n of k.internal.map((s) => s.name).sort(cmp)) t += `i${f(n)}`;
  }
  return `${t}\n`;
}

function snapshotText(s: ObservedSnapshot): string {
  const r = s.record;
  // one template per snapshot: a million of them make this the planner's hottest loop
  let t = `S\u0000${s.name}\u0000${s.managed ? 1 : 0}${s.type}\u0000${s.createdAt}`;
  if (r) t += `\u0000r${f(r.policy)}${f(r.slot)}\u0000${r.pinned ? 1 : 0}${r.deletionPolicy}\u0000${r.mode}\u0000${r.type}`;
  for (const k of s.disks) t += `\u0000k${k.vdev}${f(k.tag)}${f(k.frozenPath)}`;
  return `${t}\n`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes short strings into one reused buffer and hashes it when full: a million small
 * strings concatenated would build (and then flatten) a large rope on the heap.
 */
class HashWriter {
  private readonly h = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;

  write(s: string): void {
    if (this.pos + s.length * 3 > this.buf.length) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.h.update(s, 'utf8');
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  digest(): string {
    this.flush();
    return this.h.digest('hex');
  }

  private flush(): void {
    this.h.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}
