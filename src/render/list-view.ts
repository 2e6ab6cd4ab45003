import type { Observed, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot, SnapshotRecord } from '../model/snapshot.js';
import { snapshotOrigin } from './snapshot-origin.js';
import { textTable } from './text-table.js';
import { formatBytes } from '../util/format-bytes.js';

function shortTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

/** What a record says about how consistent its snapshot is, and what was asked when that differs. */
export function consistency(r: SnapshotRecord): string {
  const is = r.mode === 'live'
    ? `live: memory and disks${r.quiesced ? ', file systems quiesced' : ''}`
    : r.domainState === 'shutoff'
      ? 'disks at rest (taken shut off)'
      : r.quiesced === undefined
        ? 'not recorded'
        : r.quiesced
          ? 'quiesced: file systems frozen through the guest agent'
          : 'crash-consistent (not quiesced)';
  const asked = r.requested;
  const weaker = asked && ((asked.mode === 'live' && r.mode !== 'live') || (asked.quiesce !== 'off' && !r.quiesced && r.domainState !== 'shutoff'));
  return weaker ? `${is}; asked: ${asked.mode}${asked.quiesce !== 'off' ? `, quiesce ${asked.quiesce === 'preferred' ? 'true' : 'required'}` : ''}` : is;
}

function snapshotsOf(observed: Observed, d: ObservedDomain): ObservedSnapshot[] {
  return observed.snapshots.filter((s) => s.domainKey === d.domain.key);
}

/**
 * The domains to list, in order, each with its snapshots: the observed ones, then skipped ones
 * (marked, with the snapshots their records and images on disk still show).
 */
function listed(observed: Observed): Array<{ name: string; snapshots: ObservedSnapshot[] }> {
  const out = observed.domains.map((d) => ({ name: d.domain.name, snapshots: snapshotsOf(observed, d) }));
  const observedNames = new Set(out.map((d) => d.name));
  for (const s of observed.skipped ?? []) {
    // a domain skipped for a journal is observed as usual: it is listed once, above
    if (!observedNames.has(s.name)) out.push({ name: `${s.name} (skipped)`, snapshots: s.snapshots ?? [] });
  }
  return out;
}

/** The seed's snapshot-list: one row per snapshot, foreign ones marked. */
export function renderListShort(observed: Observed): string {
  const rows: string[][] = [];
  for (const d of listed(observed)) {
    for (const s of d.snapshots) {
      rows.push([
        d.name,
        s.name,
        shortTime(s.createdAt),
        snapshotOrigin(s) + (s.record?.pinned ? ' (pinned)' : ''),
        s.record?.mode ?? '-',
        s.type,
        s.record?.domainState ?? '-',
        s.disks.map((x) => x.vdev).join(','),
      ]);
    }
  }
  if (!rows.length) return 'no snapshots\n';
  return textTable(['DOMAIN', 'NAME', 'CREATED', 'ORIGIN', 'MODE', 'TYPE', 'STATE', 'DISKS'], rows);
}

/** `--long`: one block per snapshot with description, memory file and per-disk detail. */
export function renderListLong(observed: Observed): string {
  const out: string[] = [];
  for (const d of listed(observed)) {
    for (const s of d.snapshots) {
      const r = s.record;
      out.push(`${d.name} ${s.name}`);
      out.push(`  created:     ${shortTime(s.createdAt)}`);
      out.push(`  origin:      ${snapshotOrigin(s)}${r?.pinned ? ' (pinned)' : ''}`);
      if (r) {
        if (r.slot) out.push(`  slot:        ${shortTime(r.slot)}`);
        if (r.policyRevision) out.push(`  revision:    ${r.policyRevision}`);
        out.push(`  mode:        ${r.mode}`, `  state:       ${r.domainState}`, `  consistency: ${consistency(r)}`);
        if (r.description) out.push(`  description: ${r.description}`);
        out.push(`  memory:      ${r.memoryFile ?? '-'}`);
      }
      out.push(`  type:        ${s.type}`);
      if (s.sizeBytes !== undefined) out.push(`  size:        ${formatBytes(s.sizeBytes)}`);
      for (const disk of s.disks) {
        const where = disk.tag !== undefined ? `internal tag "${disk.tag}"` : `frozen image ${disk.frozenPath}`;
        out.push(`  disk ${disk.vdev}: ${disk.format} on ${disk.backend}, ${where}`);
      }
      out.push('');
    }
  }
  return out.length ? out.join('\n') : 'no snapshots\n';
}

export { renderListTree } from './list-tree.js';

/** Findings as `! domain: message` lines. */
export function renderFindings(observed: Observed): string {
  return observed.findings.map((f) => `! ${f.domain ? `${f.domain.name}: ` : ''}${f.message}\n`).join('');
}
