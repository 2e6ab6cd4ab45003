import type { DaemonStatus } from './daemon-status.js';
import { skippedSummary } from '../apply/unresolved-work.js';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The human view of `xensnap status`; `alive` says whether the daemon's pid still runs. */
export function renderStatusText(s: DaemonStatus, alive: boolean): string {
  const out: string[] = [];
  const running = alive && s.state !== 'stopped';
  out.push(
    running
      ? `daemon: running (pid ${s.pid}, since ${s.started})`
      : s.state === 'stopped'
        ? `daemon: not running (pid ${s.pid} stopped at ${s.updatedAt})`
        : `daemon: not running (pid ${s.pid} is gone without stopping; status from ${s.updatedAt})`,
  );
  out.push(`state: ${running ? s.state : s.state === 'stopped' ? 'stopped' : `${s.state} (stale)`}`);
  const r = s.lastRun;
  if (r) {
    out.push(
      `last run: ${r.result} at ${r.at}, ${seconds(r.durationMs)} (${r.triggers.join(', ')}); ` +
        `actions ${r.actions.ok} ok, ${r.actions.failed} failed, ${r.actions.skipped} skipped; ${r.heldBack} deletes held back` +
        (r.recovered ? `; ${r.recovered} recovered` : '') +
        (skippedSummary(r.skippedDomains ?? []) ? `; ${skippedSummary(r.skippedDomains ?? [])}` : ''),
    );
    for (const s of r.skippedDomains ?? []) out.push(`  ${s.domain}: skipped: interrupted work not recovered (${s.operation}): ${s.reason}; journal ${s.journal}; see xensnap recover ${s.domain}`);
    if (r.message && !(r.skippedDomains ?? []).length) out.push(`  ${r.message}`);
    for (const w of r.warnings ?? []) out.push(`  warning: ${w}`);
  } else out.push('last run: none yet');
  out.push(`last success: ${s.lastSuccessAt ?? 'never'}`);
  if (running && s.nextWake) out.push(`next wake: ${s.nextWake.at} (${s.nextWake.reason === 'slot' ? `slot of ${s.nextWake.policy}` : 'resync'})`);
  const p = s.policySet;
  const rev = (x: string | null) => (x ? x.slice(0, 12) : 'none (not a Git checkout)');
  if (!p.valid && p.diagnostics.length === 0 && !p.inForce) {
    out.push('policy set: not loaded yet');
  } else out.push(
    p.valid
      ? `policy set: valid, ${p.count} ${p.count === 1 ? 'policy' : 'policies'}, revision ${rev(p.revision)}`
      : `policy set: INVALID (${p.diagnostics.length} ${p.diagnostics.length === 1 ? 'problem' : 'problems'}), revision ${rev(p.revision)}`,
  );
  for (const d of p.diagnostics) out.push(`  ${d}`);
  if (!p.valid && (p.diagnostics.length || p.inForce)) {
    out.push(
      p.inForce
        ? `in force: the last valid set, ${p.inForce.count} ${p.inForce.count === 1 ? 'policy' : 'policies'}, revision ${rev(p.inForce.revision)}, loaded ${p.inForce.loadedAt}`
        : 'in force: nothing (no valid policy set loaded yet): no snapshot is created or deleted',
    );
  }
  if (s.lastErrors.length) {
    out.push('last errors:');
    for (const e of s.lastErrors) out.push(`  ${e.at}  ${e.message}`);
  }
  return out.join('\n') + '\n';
}
