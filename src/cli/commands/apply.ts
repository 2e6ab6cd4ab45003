import { readFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import type { ExecAction } from '../../apply/execute-types.js';
import { loadConfigFor } from '../host-context.js';
import { loadPolicySet } from '../load-policy-set.js';
import { parsePastInstant, refuseFuture } from '../parse-instant.js';
import { confirmOnTerminal } from '../confirm.js';
import { acquireInstanceLock } from '../../apply/instance-lock.js';
import { hostBackends } from '../../apply/host-backends.js';
import { executeOnHost, planHost, recoverAndObserve } from '../../apply/reconcile-once.js';
import { checkStale, parsePlanFile } from '../../plan/plan-file.js';
import { renderPlanText } from '../../render/plan-text.js';
import { renderApplyJson, renderApplyResults, renderNoChanges } from '../../render/apply-results.js';
import { wantColor } from '../../render/color.js';
import { UserInputError } from '../../errors.js';
import { skippedDomains } from '../../apply/unresolved-work.js';

const help = `usage: xensnap apply [PLANFILE] [--at ISO] [--yes] [--max-deletes N] [--json]

Carries out a plan. Without PLANFILE it plans now, shows the plan and asks for confirmation
(on a terminal; elsewhere --yes is required). With PLANFILE (from \`xensnap plan -o\`) it
refuses a stale plan ("plan is stale: …") and otherwise runs exactly the saved actions.

Before anything else, work a crash interrupted is recovered (journal in stateDir/.journal):
half-made snapshots are rolled back (or kept and recorded when the guest already wrote past
them), half-done deletes are finished; each is reported on a "recovered: …" line.
A policy's hook profile (host config \`hooks\`) runs around its creates: a failing pre hook
skips that create (and the domain's deletes); a failing post hook is reported.
Per domain: creates first, then deletes — none when a create of that domain failed. One
domain's failure never stops another. A domain whose interrupted work recovery could not
resolve is skipped: a "! DOMAIN: skipped: …" line gives the reason and the journal file, the
summary counts it (see \`xensnap recover\`). Exit 0 when every action succeeded and no domain
was skipped, 1 otherwise.

  --at ISO           plan for this moment (without PLANFILE); never later than now (5 minutes
                     of clock skew allowed): a snapshot for a future slot is refused
  --yes              do not ask
  --max-deletes N    delete at most N snapshots in this run (the rest is held back)
  --json             results as data (formatVersion 1)
`;

/** Keeps the first N deletes and turns the rest into nothing: held back by --max-deletes. */
function capDeletes(actions: ExecAction[], max: number | null): { kept: ExecAction[]; held: number } {
  if (max === null) return { kept: actions, held: 0 };
  let n = 0;
  const kept = actions.filter((a) => a.action !== 'delete' || ++n <= max);
  return { kept, held: actions.length - kept.length };
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'carry out a plan',
  help,
  json: true,
  async run(ctx) {
    const { values: v, positionals } = parseCommandArgs(
      'apply',
      ctx.args,
      { at: { type: 'string' }, yes: { type: 'boolean' }, 'max-deletes': { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    if (positionals.length > 1) throw new UserInputError('apply: at most one PLANFILE');
    const planFile = positionals[0];
    if (planFile && v.at) throw new UserInputError('apply: --at plans anew; it cannot go with a PLANFILE');
    const at = v.at ? parsePastInstant(v.at, '--at', 'apply', new Date()) : null;
    const maxDeletes = v['max-deletes'] === undefined ? null : Number(v['max-deletes']);
    if (maxDeletes !== null && !(Number.isInteger(maxDeletes) && maxDeletes >= 0)) throw new UserInputError(`apply: --max-deletes needs a whole number ≥ 0, not "${v['max-deletes']}"`);
    const config = await loadConfigFor(ctx);
    const policies = await loadPolicySet(config);
    const saved = planFile ? parsePlanFile(await readFile(planFile, 'utf8').catch((e: Error) => { throw new UserInputError(`${planFile}: ${e.message}`); }), planFile) : null;
    if (saved) refuseFuture(new Date(saved.at), `apply: plan ${planFile} was made for ${saved.at}, which`, new Date());

    const lock = await acquireInstanceLock(config.stateDir, 'apply');
    try {
      const backends = hostBackends(config);
      const host = await recoverAndObserve(config, backends);
      const skipped = skippedDomains(host.unresolved, host.domains);
      let actions: ExecAction[];
      if (saved) {
        const stale = checkStale(saved, host.observed);
        if (stale) throw new UserInputError(stale);
        actions = saved.actions;
      } else {
        const plan = planHost(host, policies, at ?? new Date(), maxDeletes ?? config.limits.maxDeletes);
        if (!v.json) ctx.stdout.write(renderPlanText(plan, { long: false, color: wantColor(ctx.stdout as { isTTY?: boolean }, ctx.env) }));
        actions = plan.actions;
        if (!actions.length) {
          ctx.stdout.write(v.json ? renderApplyJson([], host.recovered, skipped) : renderNoChanges(host.recovered, skipped));
          return skipped.length === 0 ? 0 : 1;
        }
        if (!(await confirmOnTerminal('Apply this plan?', Boolean(v.yes), { stdout: ctx.stdout }))) {
          ctx.stdout.write('Apply cancelled.\n');
          return 1;
        }
      }
      const { kept, held } = capDeletes(actions, maxDeletes);
      if (held && !v.json) ctx.stdout.write(`${held} delete${held === 1 ? '' : 's'} held back by --max-deletes ${maxDeletes}\n`);
      const results = await executeOnHost(kept, host, { config, policies, backends });
      ctx.stdout.write(v.json ? renderApplyJson(results, host.recovered, skipped) : renderApplyResults(results, host.recovered, skipped));
      return results.every((r) => r.status === 'ok') && skipped.length === 0 ? 0 : 1;
    } finally {
      await lock.release();
    }
  },
};
