import type { Observed, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { snapshotOrigin } from './snapshot-origin.js';
import { textTable } from './text-table.js';

function shortTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

function snapshotsOf(observed: Observed, d: ObservedDomain): ObservedSnapshot[] {
  return observed.snapshots.filter((s) => s.domainKey === d.domain.key);
}

/** The seed's snapshot-list: one row per snapshot, foreign ones marked. */
export function renderListShort(observed: Observed): string {
  const rows: string[][] = [];
  for (const d of observed.domains) {
    for (const s of snapshotsOf(observed, d)) {
      rows.push([
        d.domain.name,
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
  for (const d of observed.domains) {
    for (const s of snapshotsOf(observed, d)) {
      const r = s.record;
      out.push(`${d.domain.name} ${s.name}`);
      out.push(`  created:     ${shortTime(s.createdAt)}`);
      out.push(`  origin:      ${snapshotOrigin(s)}${r?.pinned ? ' (pinned)' : ''}`);
      if (r) {
        if (r.slot) out.push(`  slot:        ${shortTime(r.slot)}`);
        if (r.policyRevision) out.push(`  revision:    ${r.policyRevision}`);
        out.push(`  mode:        ${r.mode}`, `  state:       ${r.domainState}`);
        if (r.description) out.push(`  description: ${r.description}`);
        out.push(`  memory:      ${r.memoryFile ?? '-'}`);
      }
      out.push(`  type:        ${s.type}`);
      if (s.sizeBytes !== undefined) out.push(`  size:        ${s.sizeBytes} bytes`);
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
