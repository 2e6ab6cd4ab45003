import type { ReconcileReport } from './reconciler.js';
import type { RunSummary } from './daemon-status.js';
import type { TriggerReason } from './loop-state.js';

/** Summarises a reconcile report for status and logs. */
export function summariseReport(report: ReconcileReport, triggers: TriggerReason[], durationMs: number): RunSummary {
  const count = (s: string) => report.results.filter((r) => r.status === s).length;
  const failed = report.results.filter((r) => r.status === 'failed');
  return {
    at: report.startedAt,
    finishedAt: report.finishedAt,
    result: report.ok ? 'ok' : 'failed',
    durationMs,
    triggers,
    actions: { ok: count('ok'), failed: failed.length, skipped: count('skipped') },
    heldBack: report.heldBack,
    recovered: report.recovered.length,
    skippedDomains: report.skippedDomains,
    message: report.error ?? (failed.length ? failed.map((r) => `${r.action.action} ${r.action.domain.name}/${r.action.snapshot}: ${r.message ?? 'failed'}`).join('; ') : null),
    warnings: report.results.flatMap((r) => (r.warnings ?? []).map((w) => `${r.action.domain.name}/${r.action.snapshot}: ${w}`)),
  };
}

/** A run that did not reach the reconciler (no policy set) or whose reconciler threw. */
export function summariseNoReport(result: 'error' | 'skipped', at: string, finishedAt: string, triggers: TriggerReason[], message: string): RunSummary {
  return {
    at,
    finishedAt,
    result,
    durationMs: Date.parse(finishedAt) - Date.parse(at),
    triggers,
    actions: { ok: 0, failed: 0, skipped: 0 },
    heldBack: 0,
    recovered: 0,
    skippedDomains: [],
    message,
    warnings: [],
  };
}
