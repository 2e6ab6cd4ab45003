import type { ActionResult } from '../apply/execute-types.js';

export const APPLY_FORMAT_VERSION = 1;

/**
 * One line per action: `ok`, `FAILED` with the error, or `skipped` with why; each warning of an
 * ok action (a snapshot weaker than asked) on a line of its own below it; then a summary.
 */
export function renderApplyResults(results: ActionResult[], recovered: string[]): string {
  const out: string[] = recovered.map((r) => `recovered: ${r}`);
  for (const r of results) {
    const a = r.action;
    const sign = a.action === 'create' ? '+' : '-';
    const head = `${sign} ${a.domain.name} ${a.snapshot}`;
    if (r.status === 'ok') out.push(`${head}: ok (${Math.round(r.durationMs)} ms${r.message ? `; ${r.message}` : ''})`);
    else if (r.status === 'failed') out.push(`${head}: FAILED: ${r.message}`);
    else out.push(`${head}: skipped: ${r.message}`);
    for (const w of r.warnings ?? []) out.push(`  warning: ${w}`);
  }
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const warned = results.filter((r) => r.warnings?.length).length;
  out.push(`Apply: ${count('ok')} succeeded${warned ? ` (${warned} with warnings)` : ''}, ${count('failed')} failed, ${count('skipped')} skipped.`);
  return out.join('\n') + '\n';
}

/** The JSON view of an apply: versioned, one result per action. */
export function renderApplyJson(results: ActionResult[], recovered: string[]): string {
  return JSON.stringify({ formatVersion: APPLY_FORMAT_VERSION, recovered, results }, null, 2) + '\n';
}
