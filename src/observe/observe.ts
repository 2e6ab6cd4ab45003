import { stat } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { Finding, Observed, ObservedDisk, ObservedDomain } from '../model/observed.js';
import type { ObservedSnapshot, SnapshotRecord } from '../model/snapshot.js';
import type { ImageReader } from './image-reader.js';
import { readChain } from './read-chain.js';
import { joinSnapshots, type DiskReading } from './join-snapshots.js';

export const OBSERVED_FORMAT_VERSION = 1;

export interface RecordSource {
  /** The records of one domain folder; unreadable ones are problems, never thrown. */
  read(domainKey: string): Promise<{ records: SnapshotRecord[]; problems: { file: string; message: string }[] }>;
}

export interface ObserveDeps {
  reader: ImageReader;
  records: RecordSource;
  /** Domains observed at once. */
  concurrency?: number;
  /**
   * For a running or paused domain: a reader over its live interface (QMP), and a close
   * function. null when the domain has none (observation then reads the files read-only).
   */
  live?: (domain: Domain) => Promise<{ reader: ImageReader; close(): void } | null>;
}

/** Disks observation looks at: not CD-ROMs, not empty drives. */
function observable(domain: Domain) {
  return domain.disks.filter((d) => !d.cdrom && d.path !== '');
}

async function readDisks(domain: Domain, reader: ImageReader, findings: Finding[]): Promise<DiskReading[]> {
  const who = { uuid: domain.uuid, name: domain.name };
  const readings: DiskReading[] = [];
  for (const disk of observable(domain)) {
    if (disk.backend === 'phy') {
      readings.push({ disk: { vdev: disk.vdev, leaf: disk.path, chain: [], internal: [] }, mtimes: new Map() });
      continue;
    }
    const chain = await readChain(disk.path, disk.format, reader);
    for (const p of chain.problems) findings.push({ kind: p.kind, domain: who, message: `${disk.vdev}: ${p.message}` });
    const od: ObservedDisk = { vdev: disk.vdev, leaf: disk.path, chain: chain.chain, internal: chain.internal };
    readings.push({ disk: od, mtimes: chain.mtimes });
  }
  return readings;
}

/**
 * Frozen images that records name, that exist, but that no disk's current chain contains: after a
 * revert the newer snapshots sit on a side branch of the chain tree. They are not drift.
 */
async function frozenImagesOffChain(records: SnapshotRecord[], readings: DiskReading[]): Promise<Set<string>> {
  const inChains = new Set(readings.flatMap((r) => r.disk.chain.map((m) => m.path)));
  const wanted = records.flatMap((r) => r.disks.map((d) => d.frozenPath ?? '')).filter((p) => p && !inChains.has(p));
  const found = new Set<string>();
  for (const path of wanted) {
    const st = await stat(path).catch(() => null);
    if (st?.isFile()) found.add(path);
  }
  return found;
}

async function observeDomain(domain: Domain, deps: ObserveDeps) {
  const who = { uuid: domain.uuid, name: domain.name };
  const findings: Finding[] = [];
  let live: { reader: ImageReader; close(): void } | null = null;
  if (domain.state !== 'shutoff' && deps.live) {
    live = await deps.live(domain).catch((err: Error) => {
      findings.push({ kind: 'info', domain: who, message: `live block graph unavailable (${err.message}); images read from disk` });
      return null;
    });
  }
  let readings: DiskReading[];
  try {
    readings = await readDisks(domain, live?.reader ?? deps.reader, findings);
  } finally {
    live?.close();
  }
  const { records, problems } = await deps.records.read(domain.key);
  const sideBranch = await frozenImagesOffChain(records, readings);
  const joined = joinSnapshots({ domain, disks: readings, records, recordProblems: problems, sideBranch });
  return {
    observedDomain: { domain, disks: readings.map((r) => r.disk) } satisfies ObservedDomain,
    snapshots: joined.snapshots,
    findings: [...findings, ...joined.findings],
  };
}

/**
 * Observes every domain: each disk's image chain and internal snapshots, joined with xensnap's
 * records into managed and foreign snapshots, with drift findings both ways. Reads only.
 */
export async function observe(domains: Domain[], deps: ObserveDeps): Promise<Observed> {
  const results: Awaited<ReturnType<typeof observeDomain>>[] = new Array(domains.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, deps.concurrency ?? 4) }, async () => {
    while (next < domains.length) {
      const i = next++;
      results[i] = await observeDomain(domains[i]!, deps);
    }
  });
  await Promise.all(workers);
  const snapshots: ObservedSnapshot[] = [];
  const findings: Finding[] = [];
  for (const r of results) {
    snapshots.push(...r.snapshots);
    findings.push(...r.findings);
  }
  return { formatVersion: OBSERVED_FORMAT_VERSION, domains: results.map((r) => r.observedDomain), snapshots, findings };
}
