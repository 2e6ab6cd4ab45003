import type { SimulateResult } from '../plan/simulate.js';
import { paint } from './color.js';
import { formatBytes } from '../util/format-bytes.js';

/**
 * `xensnap simulate --json`: {formatVersion, policy, from, to, created, survivors}, and with a
 * disk growth rate also {peakSnapshots, peakSnapshotsAt, diskGrowthBytesPerHour, peakHeldBytes, peakHeldAt}.
 */
export function renderSimulateJson(r: SimulateResult): string {
  const { formatVersion, policy, from, to, created, survivors } = r;
  const space = r.space
    ? { peakSnapshots: r.peakSnapshots, peakSnapshotsAt: r.peakSnapshotsAt, diskGrowthBytesPerHour: r.space.growthBytesPerHour, peakHeldBytes: r.space.peakBytes, peakHeldAt: r.space.peakAt }
    : {};
  return `${JSON.stringify({ formatVersion, policy, from, to, created, survivors, ...space }, null, 2)}\n`;
}

/**
 * The human simulate view: totals, how many survivors each rule keeps (a survivor may count
 * under several rules), and a timeline with one line per month that holds survivors, one `●`
 * per survivor (capped at 60, then the count).
 */
export function renderSimulateText(r: SimulateResult, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const out: string[] = [];
  out.push(c.bold(`Policy ${r.policy}, ${r.from} → ${r.to}`));
  out.push(`  ${r.created} created, ${r.survivors.length} survive, ${r.created - r.survivors.length} deleted`);
  if (r.space) {
    out.push(`  peak: ${r.peakSnapshots} snapshots${r.peakSnapshotsAt ? ` (first at ${r.peakSnapshotsAt})` : ''}`);
    out.push(`  space held at its peak: ~${formatBytes(r.space.peakBytes)}${r.space.peakAt ? ` (at ${r.space.peakAt})` : ''}, at ${formatBytes(r.space.growthBytesPerHour)}/h of new data`);
    out.push('    (each snapshot holds what was written since the one before it, the leaf what was written since the newest)');
  }
  const counts = new Map<string, number>();
  for (const rules of r.rules) for (const rule of rules) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  if (counts.size) {
    out.push('', 'kept by:');
    const width = Math.max(...[...counts.keys()].map((k) => k.length));
    for (const [rule, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out.push(`  ${rule.padEnd(width)}  ${n}`);
  }
  if (r.survivors.length) {
    out.push('', 'survivors by month (UTC):');
    const months = new Map<string, number>();
    for (const s of r.survivors) months.set(s.slice(0, 7), (months.get(s.slice(0, 7)) ?? 0) + 1);
    for (const [m, n] of months) out.push(`  ${m}  ${c.green('●'.repeat(Math.min(n, 60)))}${n > 60 ? '…' : ''} ${n}`);
    out.push('', `oldest ${r.survivors[0]}, newest ${r.survivors[r.survivors.length - 1]}`);
  }
  return `${out.join('\n')}\n`;
}
