import { dirname } from 'node:path';
import type { Domain } from '../model/domain.js';
import type { ChainMember, Finding, Observed, ObservedDomain, ObservedScan } from '../model/observed.js';
import type { ObservedSnapshot, SnapshotRecord } from '../model/snapshot.js';
import type { ImageReader } from './image-reader.js';
import { readChain } from './read-chain.js';
import { joinSnapshots, type DiskReading } from './join-snapshots.js';
import { scanImageDirs } from './scan-images.js';
import { attributeBranches, claimByName, type ChainOwner } from './attribute-branches.js';

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
  /**
   * Every domain of the host, observed or not (default: the observed ones). The chains of the
   * others are read too, headers only, because they may read through an image of an observed
   * disk (a shared base), which decides what may be merged away.
   */
  hostDomains?: Domain[];
}

/** Disks observation looks at: not CD-ROMs, not empty drives. */
function observable(domain: Domain) {
  return domain.disks.filter((d) => !d.cdrom && d.path !== '');
}

async function readDisks(domain: Domain, reader: ImageReader, findings: Finding[] | null): Promise<DiskReading[]> {
  const who = { uuid: domain.uuid, name: domain.name };
  const readings: DiskReading[] = [];
  for (const disk of observable(domain)) {
    if (disk.backend === 'phy') {
      readings.push({ disk: { vdev: disk.vdev, leaf: disk.path, chain: [], internal: [] }, mtimes: new Map() });
      continue;
    }
    const chain = await readChain(disk.path, disk.format, reader);
    if (findings) for (const p of chain.problems) findings.push({ kind: p.kind, domain: who, message: `${disk.vdev}: ${p.message}` });
    readings.push({ disk: { vdev: disk.vdev, leaf: disk.path, chain: chain.chain, internal: chain.internal }, mtimes: chain.mtimes });
  }
  return readings;
}

/** Phase one of a domain: its chains (through QMP while it runs) and its records. */
async function readDomain(domain: Domain, deps: ObserveDeps) {
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
  return { domain, readings, records, problems, findings };
}

type DomainReading = Awaited<ReturnType<typeof readDomain>>;

async function inParallel<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const diskId = (domainKey: string, vdev: string) => `${domainKey}\u0000${vdev}`;

/**
 * Phase two, host-wide: finds the images that read through the observed chains without being
 * in any chain (side branches after reverts, left in the directories our images live in), gives
 * each to one disk's graph, and notes which images other disks read too. Mutates the readings.
 */
async function attachBranches(read: DomainReading[], deps: ObserveDeps): Promise<ObservedScan> {
  const observedKeys = new Set(read.map((r) => r.domain.key));
  const others = (deps.hostDomains ?? []).filter((d) => !observedKeys.has(d.key));
  const otherReadings = await inParallel(others, deps.concurrency ?? 4, async (d) => ({ domain: d, readings: await readDisks(d, deps.reader, null) }));
  const owners: ChainOwner[] = [];
  for (const r of [...read, ...otherReadings]) {
    for (const { disk } of r.readings) {
      if (disk.chain.length) owners.push({ id: diskId(r.domain.key, disk.vdev), domain: r.domain.name, vdev: disk.vdev, chain: disk.chain.map((m) => m.path) });
    }
  }
  const claims = new Map<string, string>();
  const dirs = new Set<string>();
  for (const o of owners) for (const p of o.chain) dirs.add(dirname(p));
  for (const r of read) {
    for (const rec of r.records) {
      for (const d of rec.disks) {
        if (!d.frozenPath) continue;
        claims.set(d.frozenPath, diskId(r.domain.key, d.vdev));
        dirs.add(dirname(d.frozenPath));
      }
    }
  }
  // every configured disk image too: a leaf whose chain could not be read is no side branch
  const inChains = new Set([...owners.flatMap((o) => o.chain), ...[...read, ...otherReadings].flatMap((r) => r.domain.disks.map((d) => d.path))]);
  const scan = await scanImageDirs([...dirs], deps.reader, inChains);
  const facts = new Map(scan.images.map((s) => [s.path, s.facts]));
  const loose = scan.images.map((s) => ({ path: s.path, backing: s.facts.backing }));
  const attribution = attributeBranches(owners, loose, claimByName(owners, loose, claims));
  for (const r of read) {
    for (const reading of r.readings) {
      const a = attribution.get(diskId(r.domain.key, reading.disk.vdev));
      if (!a) continue;
      if (a.branches.length) {
        reading.disk.branches = a.branches.map((p): ChainMember => {
          const f = facts.get(p)!;
          reading.mtimes.set(p, f.mtimeMs);
          return {
            path: p,
            format: f.format,
            virtualSize: f.virtualSize,
            allocatedBytes: f.allocatedBytes,
            backing: f.backing,
            ...(f.internal.length ? { internal: f.internal } : {}),
            ...(f.links !== undefined ? { links: f.links } : {}),
          };
        });
      }
      if (a.sharedWith.length) reading.disk.sharedWith = a.sharedWith;
    }
  }
  return { dirs: [...dirs].sort(), unreadable: scan.unreadable };
}

/**
 * Observes every domain: each disk's snapshot graph (its chain, side branches, who else reads
 * its images) and internal snapshots, joined with xensnap's records into managed and foreign
 * snapshots, with drift findings both ways. Reads only.
 */
export async function observe(domains: Domain[], deps: ObserveDeps): Promise<Observed> {
  const read = await inParallel(domains, deps.concurrency ?? 4, (d) => readDomain(d, deps));
  const scan = await attachBranches(read, deps);
  const snapshots: ObservedSnapshot[] = [];
  const findings: Finding[] = [];
  const observedDomains: ObservedDomain[] = [];
  for (const r of read) {
    const joined = joinSnapshots({ domain: r.domain, disks: r.readings, records: r.records, recordProblems: r.problems });
    observedDomains.push({ domain: r.domain, disks: r.readings.map((x) => x.disk) });
    snapshots.push(...joined.snapshots);
    findings.push(...r.findings, ...joined.findings);
  }
  for (const u of scan.unreadable) {
    findings.push({ kind: 'corrupt-image', domain: null, message: `${u.path} looks like an image but cannot be read (${u.message}); nothing in its directory that it might read through is merged away` });
  }
  return { formatVersion: OBSERVED_FORMAT_VERSION, domains: observedDomains, snapshots, findings, scan };
}
