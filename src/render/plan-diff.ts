import { createTwoFilesPatch } from 'diff';
import type { Plan } from '../plan/plan-types.js';
import { paint } from './color.js';
import { domainBlocks } from './plan-blocks.js';

/**
 * `--diff`: each changed domain's snapshot set (names, sorted) before → after as a unified
 * diff, file names `a/<domain>` and `b/<domain>`. Before = kept + deleted; after = kept +
 * created. Unchanged domains print nothing; the summary line follows.
 */
export function renderPlanDiff(plan: Plan, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const out: string[] = [];
  for (const b of domainBlocks(plan)) {
    if (!b.domain || b.actions.length === 0) continue;
    const kept = b.kept.map((k) => k.snapshot);
    const before = [...kept, ...b.actions.filter((a) => a.action === 'delete').map((a) => a.snapshot)].sort();
    const after = [...kept, ...b.actions.filter((a) => a.action === 'create').map((a) => a.snapshot)].sort();
    const patch = createTwoFilesPatch(`a/${b.domain.name}`, `b/${b.domain.name}`, lines(before), lines(after), undefined, undefined, { context: 2 });
    for (const line of patch.split('\n')) {
      if (line === '' || line.startsWith('=====')) continue;
      if (line.startsWith('+++') || line.startsWith('---')) out.push(c.bold(line));
      else if (line.startsWith('@@')) out.push(c.cyan(line));
      else if (line.startsWith('+')) out.push(c.green(line));
      else if (line.startsWith('-')) out.push(c.red(line));
      else out.push(line);
    }
    out.push('');
  }
  const creates = plan.actions.filter((a) => a.action === 'create').length;
  out.push(`Plan: ${creates} to create, ${plan.actions.length - creates} to delete, ${plan.findings.length} findings.`);
  return `${out.join('\n')}\n`;
}

function lines(xs: string[]): string {
  return xs.length ? `${xs.join('\n')}\n` : '';
}
