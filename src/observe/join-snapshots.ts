import type { Domain } from '../model/domain.js';
import type { ChainMember, Finding, InternalSnapshotInfo, ObservedDisk } from '../model/observed.js';
import type { ObservedSnapshot, SnapshotDiskRecord, SnapshotRecord } from '../model/snapshot.js';

/** One disk of a domain as observation read it, with the extra facts the join needs. */
export interface DiskReading {
  disk: ObservedDisk;
  /** mtime of each chain member, by path. */
  mtimes: Map<string, number>;
}

export interface JoinInput {
  domain: Domain;
  disks: DiskReading[];
  records: SnapshotRecord[];
  recordProblems: { file: string; message: string }[];
}

/** The images below the leaf (its chain) and on side branches: every image a snapshot may own. */
export function snapshotImages(disk: ObservedDisk): ChainMember[] {
  return [...disk.chain.slice(1), ...(disk.branches ?? [])];
}

/** Every internal snapshot table of a disk's graph, with the image holding it (null: the leaf). */
export function tagTables(disk: ObservedDisk): [string | null, InternalSnapshotInfo[]][] {
  return [[null, disk.internal], ...snapshotImages(disk).map((m): [string, InternalSnapshotInfo[]] => [m.path, m.internal ?? []])];
}

/**
 * Joins xensnap's records with what the images hold. Every record becomes a managed snapshot
 * (with drift findings for parts the images no longer have); every internal tag or frozen
 * chain member no record claims becomes a foreign snapshot — listed, kept, and not a finding
 * (a finding is something to act on). Pure.
 */
export function joinSnapshots(input: JoinInput): { snapshots: ObservedSnapshot[]; findings: Finding[] } {
  const { domain } = input;
  const who = { uuid: domain.uuid, name: domain.name };
  const findings: Finding[] = input.recordProblems.map((p) => ({ kind: 'corrupt-record', domain: who, message: `${p.file}: ${p.message}` }));
  const byVdev = new Map(input.disks.map((d) => [d.disk.vdev, d]));
  const claimedTags = new Set<string>(); // `${vdev}\0${tag}`
  const claimedFiles = new Set<string>();
  const snapshots: ObservedSnapshot[] = [];

  for (const record of input.records) {
    let sizeBytes = 0;
    for (const rd of record.disks) {
      const reading = byVdev.get(rd.vdev);
      if (!reading) {
        findings.push({ kind: 'drift-missing-image', domain: who, message: `snapshot "${record.name}": the domain has no disk ${rd.vdev} any more` });
        continue;
      }
      if (record.type === 'internal') {
        const tag = rd.tag ?? record.name;
        claimedTags.add(`${rd.vdev}\0${tag}`);
        if (!tagTables(reading.disk).some(([, t]) => t.some((s) => s.name === tag))) {
          findings.push({ kind: 'drift-missing-image', domain: who, message: `snapshot "${record.name}": internal snapshot "${tag}" is missing from the images of ${rd.vdev} (${reading.disk.leaf})` });
        }
      } else {
        const frozen = rd.frozenPath ?? '';
        claimedFiles.add(frozen);
        const member = snapshotImages(reading.disk).find((m) => m.path === frozen);
        if (!member) {
          findings.push({ kind: 'drift-missing-image', domain: who, message: `snapshot "${record.name}": frozen image ${frozen} is not among the images of ${rd.vdev} (${reading.disk.leaf})` });
        } else sizeBytes += member.allocatedBytes;
      }
    }
    snapshots.push({
      domainKey: domain.key,
      name: record.name,
      createdAt: record.createdAt,
      managed: true,
      record,
      type: record.type,
      disks: record.disks,
      ...(record.type === 'external' ? { sizeBytes } : {}),
    });
  }

  snapshots.push(...foreignInternal(input, claimedTags), ...foreignExternal(input, claimedFiles));
  snapshots.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { snapshots, findings };
}

function foreignInternal(input: JoinInput, claimed: Set<string>): ObservedSnapshot[] {
  const byName = new Map<string, { createdSec: number; disks: SnapshotDiskRecord[] }>();
  for (const { disk } of input.disks) {
    const backend = input.domain.disks.find((d) => d.vdev === disk.vdev)?.backend ?? 'qdisk';
    // the leaf's table, then tables of frozen images (tags taken before an external snapshot) and side branches
    for (const [image, table] of tagTables(disk)) {
      const format = [...disk.chain, ...(disk.branches ?? [])].find((m) => m.path === (image ?? disk.leaf))?.format ?? 'qcow2';
      for (const s of table) {
        if (claimed.has(`${disk.vdev}\0${s.name}`)) continue;
        const entry = byName.get(s.name) ?? { createdSec: s.dateSec, disks: [] };
        entry.createdSec = Math.min(entry.createdSec, s.dateSec);
        if (!entry.disks.some((d) => d.vdev === disk.vdev)) entry.disks.push({ vdev: disk.vdev, format, backend, tag: s.name, ...(image ? { image } : {}) });
        byName.set(s.name, entry);
      }
    }
  }
  // foreign snapshots are listed and kept, never findings: nothing about them is to act on
  return [...byName].map(([name, e]) => ({ domainKey: input.domain.key, name, createdAt: new Date(e.createdSec * 1000).toISOString(), managed: false, record: null, type: 'internal' as const, disks: e.disks }));
}

/** `disk@name.qcow2` → `name`; any other file → its base name without extension. */
export function foreignNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const at = base.lastIndexOf('@');
  const dot = base.lastIndexOf('.');
  const end = dot > at ? dot : base.length;
  return at >= 0 ? base.slice(at + 1, end) : base.slice(0, dot > 0 ? dot : base.length);
}

function foreignExternal(input: JoinInput, claimed: Set<string>): ObservedSnapshot[] {
  const byName = new Map<string, { mtime: number; size: number; disks: SnapshotDiskRecord[] }>();
  for (const { disk, mtimes } of input.disks) {
    const backend = input.domain.disks.find((d) => d.vdev === disk.vdev)?.backend ?? 'qdisk';
    for (const member of snapshotImages(disk)) {
      if (claimed.has(member.path)) continue;
      const name = foreignNameOf(member.path);
      const entry = byName.get(name) ?? { mtime: Infinity, size: 0, disks: [] };
      entry.mtime = Math.min(entry.mtime, mtimes.get(member.path) ?? 0);
      entry.size += member.allocatedBytes;
      entry.disks.push({ vdev: disk.vdev, format: member.format, backend, frozenPath: member.path });
      byName.set(name, entry);
    }
  }
  return [...byName].map(([name, e]) => ({ domainKey: input.domain.key, name, createdAt: new Date(e.mtime).toISOString(), managed: false, record: null, type: 'external' as const, disks: e.disks, sizeBytes: e.size }));
}
