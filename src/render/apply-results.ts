import type { ActionResult } from '../apply/execute-types.js';

export const APPLY_FORMAT_VERSION = 1;

/** One line per action: `ok`, `FAILED` with the error, or `skipped` with why; then a summary. */
export function renderApplyResults(results: ActionResult[], recovered: string[]): string {
  const out: string[] = recovered.map((r) => `recovered: ${r}`);
  for (const r of results) {
    const a = r.action;
    const sign = a.action === 'create' ? '+' : '-';
    const head = `${sign} ${a.domain.name} ${a.snapshot}`;
    if (r.status === 'ok') out.push(`${head}: ok (${r.durationMs} ms)`);
    else if (r.status === 'failed') out.push(`${head}: FAILED: ${r.message}`);
    else out.push(`${head}: skipped: ${r.message}`);
  }
  const count = (s: string) => results.filter((r) => r.status === s).length;
  out.push(`Apply: ${count('ok')} succeeded, ${count('failed')} failed, ${count('skipped')} skipped.`);
  return out.join('\n') + '\n';
}

/** The JSON view of an apply: versioned, one result per action. */
export function renderApplyJson(results: ActionResult[], recovered: string[]): string {
  return JSON.stringify({ formatVersion: APPLY_FORMAT_VERSION, recovered, results }, null, 2) + '\n';
}
