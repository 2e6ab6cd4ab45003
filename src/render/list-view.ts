import type { Observed, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { chainDepth } from '../plan/chain-depth.js';
import { snapshotOrigin } from './snapshot-origin.js';
import { textTable } from './text-table.js';
import { formatBytes } from '../util/format-bytes.js';

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

/** `--tree`: each disk's chain from the leaf down, with its chain depth (images in the chain, as maxChainDepth counts) and what each member is. */
export function renderListTree(observed: Observed): string {
  const out: string[] = [];
  for (const d of observed.domains) {
    out.push(`${d.domain.name} (${d.domain.state})`);
    const snaps = snapshotsOf(observed, d);
    for (const disk of d.disks) {
      out.push(`  ${disk.vdev}: ${disk.leaf} (depth ${chainDepth(disk)})`);
      disk.chain.forEach((m, i) => {
        const owner = snaps.find((s) => s.disks.some((x) => x.vdev === disk.vdev && x.frozenPath === m.path));
        const label = i === 0 ? 'leaf' : owner ? `${owner.name} [${snapshotOrigin(owner)}]` : 'unrecorded';
        out.push(`  ${'  '.repeat(i)}└─ ${m.path} ${m.format} ${label}`);
        for (const t of (i === 0 ? disk.internal : m.internal) ?? []) {
          const owner = snaps.find((s) => s.type === 'internal' && s.disks.some((x) => x.vdev === disk.vdev && (x.tag ?? s.name) === t.name));
          out.push(`  ${'  '.repeat(i)}   • internal "${t.name}" [${owner ? snapshotOrigin(owner) : 'unrecorded'}]`);
        }
      });
    }
  }
  return out.join('\n') + '\n';
}

/** Findings as `! domain: message` lines. */
export function renderFindings(observed: Observed): string {
  return observed.findings.map((f) => `! ${f.domain ? `${f.domain.name}: ` : ''}${f.message}\n`).join('');
}
