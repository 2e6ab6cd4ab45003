import type { ActionResult } from '../apply/execute-types.js';
import { countSkipped, skippedLine, skippedSummary, type SkippedDomain } from '../apply/unresolved-work.js';

export const APPLY_FORMAT_VERSION = 1;

const count = (results: ActionResult[], s: string) => results.filter((r) => r.status === s).length;

/**
 * `recovered:` lines, one `!` line per domain skipped for unresolved work, one line per action
 * (`ok`, `FAILED` with the error, or `skipped` with why) with each warning of an ok action (a
 * snapshot weaker than asked) on a line of its own below it, then a summary that counts all of them.
 */
export function renderApplyResults(results: ActionResult[], recovered: string[], skipped: SkippedDomain[] = []): string {
  const out: string[] = recovered.map((r) => `recovered: ${r}`);
  out.push(...skipped.map(skippedLine));
  for (const r of results) {
    const a = r.action;
    const sign = a.action === 'create' ? '+' : '-';
    const head = `${sign} ${a.domain.name} ${a.snapshot}`;
    if (r.status === 'ok') out.push(`${head}: ok (${Math.round(r.durationMs)} ms${r.message ? `; ${r.message}` : ''})`);
    else if (r.status === 'failed') out.push(`${head}: FAILED: ${r.message}`);
    else out.push(`${head}: skipped: ${r.message}`);
    for (const w of r.warnings ?? []) out.push(`  warning: ${w}`);
  }
  const domains = skippedSummary(skipped);
  const warned = results.filter((r) => r.warnings?.length).length;
  out.push(`Apply: ${count(results, 'ok')} succeeded${warned ? ` (${warned} with warnings)` : ''}, ${count(results, 'failed')} failed, ${count(results, 'skipped')} skipped${domains ? `; ${domains}` : ''}.`);
  return out.join('\n') + '\n';
}

/** The text of an apply with nothing to do: recoveries, skipped domains, `No changes.` */
export function renderNoChanges(recovered: string[], skipped: SkippedDomain[]): string {
  const domains = skippedSummary(skipped);
  return [...recovered.map((r) => `recovered: ${r}`), ...skipped.map(skippedLine), domains ? `No changes; ${domains}.` : 'No changes.'].join('\n') + '\n';
}

/** The JSON view of an apply: versioned, one result per action, the skipped domains, and the summary counts. */
export function renderApplyJson(results: ActionResult[], recovered: string[], skipped: SkippedDomain[] = []): string {
  const summary = { succeeded: count(results, 'ok'), failed: count(results, 'failed'), skipped: count(results, 'skipped'), domainsSkipped: countSkipped(skipped) };
  return JSON.stringify({ formatVersion: APPLY_FORMAT_VERSION, recovered, skippedDomains: skipped, results, summary }, null, 2) + '\n';
}
