// Observing 50,000 metadata records (1,000 domains × 50): readAllRecords timed in a child process
// (its own peak RSS), median of several runs. Targets: ≤ 2 s and ≤ 300 MiB peak RSS.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SnapshotRecord } from '../src/model/snapshot.js';
import { recordPath, serializeRecord, writeRecord } from '../src/state/index.js';
import { median } from './stats.js';

const DOMAINS = 1000;
const PER_DOMAIN = 50;
const RUNS = 5;
const here = dirname(fileURLToPath(import.meta.url));

function uuidOf(d: number): string {
  return `${d.toString(16).padStart(8, '0')}-1111-4222-8333-444455556666`;
}

function record(d: number, i: number): SnapshotRecord {
  const slot = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000);
  const name = `web-hourly-${slot.toISOString().replace(/[-:]|\.\d+/g, '')}`;
  return {
    formatVersion: 1,
    name,
    description: 'hourly crash-consistent snapshots of the web tier',
    domain: { uuid: uuidOf(d), name: `web-${d}` },
    createdAt: new Date(slot.getTime() + 2345).toISOString(),
    slot: slot.toISOString(),
    policy: 'web-hourly',
    policyRevision: '0123456789abcdef0123456789abcdef01234567',
    deletionPolicy: 'Retain',
    managedBy: 'xensnap',
    mode: 'disk-only',
    type: 'external',
    domainState: 'running',
    memoryFile: null,
    pinned: i === 0,
    disks: ['xvda', 'xvdb'].map((vdev) => ({ vdev, format: 'qcow2', backend: 'qdisk' as const, frozenPath: `/srv/images/web-${d}-${vdev}@${name}.qcow2` })),
  };
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-state-'));
  const state = join(dir, 'snapshots');
  try {
    // The real writer fsyncs every file; 200 of them show its cost. The other 49,800 files get
    // the same bytes (serializeRecord) written without fsync, so setting up takes seconds.
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) await writeRecord(join(dir, 'write-test'), record(i % 4, i), uuidOf(i % 4));
    const writeMs = (performance.now() - t0) / 200;
    for (let d = 0; d < DOMAINS; d++) {
      await mkdir(join(state, uuidOf(d)), { recursive: true, mode: 0o700 });
      await Promise.all(
        Array.from({ length: PER_DOMAIN }, (_, i) => {
          const r = record(d, i);
          return writeFile(recordPath(state, uuidOf(d), r.name), serializeRecord(r), { mode: 0o600 });
        }),
      );
    }
    await mkdir(join(state, '.journal'));
    await mkdir(join(state, '.lock'));

    const child = join(here, 'metadata-store-child.js');
    const runs: { seconds: number; cpuSeconds: number; peakRssMiB: number; rssBeforeMiB: number; domains: number; records: number; problems: number }[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { stdout } = await promisify(execFile)(process.execPath, [child, state]);
      runs.push(JSON.parse(stdout));
    }
    const bad = runs.find((r) => r.records !== DOMAINS * PER_DOMAIN || r.problems !== 0 || r.domains !== DOMAINS);
    if (bad) throw new Error(`unexpected read result ${JSON.stringify(bad)}`);
    const s = median(runs.map((r) => r.seconds));
    const rss = median(runs.map((r) => r.peakRssMiB));
    console.log(`${DOMAINS * PER_DOMAIN} records in ${DOMAINS} domain folders, warm cache, fresh process per run`);
    console.log(`readAllRecords           ${s.toFixed(3)} s     (median of ${RUNS}: ${runs.map((r) => r.seconds.toFixed(3)).join(', ')}; target ≤ 2 s)`);
    console.log(`  CPU time (user+sys)   ${median(runs.map((r) => r.cpuSeconds)).toFixed(3)} s     (median; wall time above includes waiting for a busy CPU)`);
    console.log(`peak RSS of the process  ${rss.toFixed(0)} MiB   (median; ${median(runs.map((r) => r.rssBeforeMiB)).toFixed(0)} MiB before reading; target ≤ 300 MiB)`);
    console.log(`writeRecord (fsync'd)    ${writeMs.toFixed(2)} ms/record (200 records)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
