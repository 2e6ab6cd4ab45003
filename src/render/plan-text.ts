import type { Plan, PlanAction } from '../plan/plan-types.js';
import { mergeText } from './merge-text.js';
import { paint } from './color.js';
import { formatBytes } from '../util/format-bytes.js';
import { domainBlocks } from './plan-blocks.js';

/** Options of the human plan view. */
export interface PlanTextOptions {
  /** Also list kept snapshots (`=` lines), as `-l` asks. */
  long: boolean;
  color: boolean;
}

/**
 * The human plan: one block per domain with something to say (`+` create, `-` delete with its
 * reason, `=` kept with the rules keeping it when long, `!` finding), then the summary line.
 * Renders only from the Plan object, so it shows exactly what `--json` prints.
 */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  const c = paint(opts.color);
  const out: string[] = [];
  for (const b of domainBlocks(plan)) {
    if (!opts.long && b.actions.length === 0 && b.findings.length === 0) continue;
    const title = b.domain ? `${b.domain.name}${b.domain.uuid ? ` (${b.domain.uuid})` : ''}` : 'host';
    out.push(c.bold(`${title}:`));
    for (const a of b.actions) {
      const d = details(a, opts.long);
      out.push(a.action === 'create' ? c.green(`  + ${a.snapshot} ${d}: ${a.reason}`) : c.red(`  - ${a.snapshot} ${d}: ${a.reason}`));
      for (const n of a.notes ?? []) out.push(c.yellow(`      note: ${n}`));
    }
    if (opts.long) for (const k of b.kept) out.push(c.dim(`  = ${k.snapshot}: kept (${k.rules.join(', ')})${k.why ? `: ${k.why}` : ''}`));
    for (const f of b.findings) out.push(c.yellow(`  ! ${f.kind}: ${f.message}`));
    out.push('');
  }
  if (opts.long && plan.capacity?.filesystems.length) {
    out.push(c.bold('storage:'));
    for (const f of plan.capacity.filesystems) {
      out.push(`  ${f.mount}: ${formatBytes(f.freeBytes)} free of ${formatBytes(f.totalBytes)}, keeps ${formatBytes(f.limitBytes)}; creates need ~${formatBytes(f.createBytes)}, deletes free ~${formatBytes(f.freesBytes)}`);
    }
    out.push('');
  }
  const foreign = plan.kept.filter((k) => k.rules.length === 1 && k.rules[0] === 'foreign').length;
  if (foreign) out.push(`${foreign} foreign snapshot${foreign === 1 ? '' : 's'}, untouched${opts.long ? '' : ' (-l lists them)'}.`);
  const creates = plan.actions.filter((a) => a.action === 'create').length;
  const deletes = plan.actions.length - creates;
  const n = plan.findings.length;
  out.push(c.bold(`Plan: ${creates} to create, ${deletes} to delete, ${n} finding${n === 1 ? '' : 's'}.`));
  return `${out.join('\n')}\n`;
}

function details(a: PlanAction, long: boolean): string {
  const parts = [a.policy ?? 'manual', a.mode, a.type, a.disks.join(',') || 'no disks'];
  if (a.merge) parts.push(...mergeText(a.merge, long));
  // estimates are rough: shown when asked for (-l), always in --json
  if (long && a.estimate) parts.push(`needs ~${formatBytes(a.estimate.bytes)}${a.estimate.memoryAssumed ? ' (memory size assumed)' : ''}`);
  if (long && a.frees !== undefined) parts.push(`frees ~${formatBytes(a.frees)}`);
  return `[${parts.join('; ')}]`;
}
