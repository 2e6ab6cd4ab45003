import { readFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import type { Observed } from '../../model/observed.js';
import { loadConfigFor, observeHost } from '../host-context.js';
import { loadPolicySet } from '../load-policy-set.js';
import { parseInstant } from '../parse-instant.js';
import { plan } from '../../plan/plan.js';
import { backendRefusal } from '../../backends/backend-refusal.js';
import { serializePlan } from '../../plan/plan-file.js';
import { renderPlanText } from '../../render/plan-text.js';
import { renderPlanDiff } from '../../render/plan-diff.js';
import { renderPlanJson } from '../../render/plan-json.js';
import { wantColor } from '../../render/color.js';
import { writeOutputFile } from '../write-output-file.js';
import { UserInputError } from '../../errors.js';
import { findSkipped } from '../../model/skipped-domain.js';
import { markPendingJournals } from '../pending-journals.js';

const help = `usage: xensnap plan [--at ISO] [--json] [--diff] [-l|--long] [-o FILE] [--detailed-exitcode]
                    [--domain NAME]... [--observed FILE] [--policies PATH]...

Compares what the policies want with the snapshots that exist and prints the difference:
  + create   - delete (with the rule that no longer keeps it)   = kept (with -l)   ! finding
ending with "Plan: N to create, M to delete, K findings." Nothing is changed.

  --at ISO              plan for this moment instead of now
  --json                the plan as data (formatVersion 1)
  --diff                each domain's snapshot set before → after as a unified diff
  -l, --long            also list kept snapshots and the rules that keep them, what each
                        create needs and each delete frees (estimates), and free space per
                        filesystem (creates that would leave less than limits.minFreePercent /
                        minFreeBytes, or make a chain deeper than limits.maxChainDepth, are
                        not planned: a capacity finding says why)
  -o FILE               save the plan for \`xensnap apply FILE\` (refused later if stale)
  --detailed-exitcode   exit 0 when there is nothing to do, 2 when changes are pending
  --domain NAME         plan only this domain (repeatable)
  --observed FILE       plan against an exported observation (\`xensnap list --json\` on the
                        host) instead of this host: a policy repository's CI shows what a
                        change would do on a host before it merges
  --policies PATH       policy files or directories (default: the host config's policyDir)
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what apply would create and delete',
  help,
  json: true,
  async run(ctx) {
    const parsed = parseCommandArgs('plan', ctx.args, {
          at: { type: 'string' },
          json: { type: 'boolean' },
          diff: { type: 'boolean' },
          long: { type: 'boolean', short: 'l' },
          out: { type: 'string', short: 'o' },
          'detailed-exitcode': { type: 'boolean' },
          domain: { type: 'string', multiple: true },
          observed: { type: 'string' },
          policies: { type: 'string', multiple: true },
        });
    const v = parsed.values;
    const now = v.at ? parseInstant(v.at, '--at') : new Date();
    const config = await loadConfigFor(ctx);
    const policies = await loadPolicySet(config, v.policies ?? []);
    const only = v.domain ?? [];
    let observed: Observed;
    if (v.observed) observed = await readObservedFile(v.observed);
    else {
      observed = (await observeHost(config, only, { command: 'plan', allowSkipped: true })).observed;
      await markPendingJournals(observed, config.stateDir);
    }
    const unknown = only.filter((n) => !observed.domains.some((d) => d.domain.name === n) && !findSkipped(observed.skipped, n));
    if (v.observed && unknown.length) throw new UserInputError(`no domain named ${unknown.map((n) => `"${n}"`).join(', ')} in ${v.observed}`);
    const result = plan({
      policies,
      observed,
      now,
      // an exported observation carries its own host's storage limits; this host's apply here
      limits: v.observed
        ? { maxDeletes: config.limits.maxDeletes }
        : { maxDeletes: config.limits.maxDeletes, minFreePercent: config.limits.minFreePercent, minFreeBytes: config.limits.minFreeBytes, maxChainDepth: config.limits.maxChainDepth },
      refusal: backendRefusal,
      ...(only.length ? { domainNames: only } : {}),
    });
    if (v.out) await writeOutputFile('-o', v.out, serializePlan(result));
    const color = wantColor(ctx.stdout as { isTTY?: boolean }, ctx.env);
    if (v.json) ctx.stdout.write(renderPlanJson(result));
    else if (v.diff) ctx.stdout.write(renderPlanDiff(result, { color }));
    else ctx.stdout.write(renderPlanText(result, { long: Boolean(v.long), color }));
    return v['detailed-exitcode'] && result.actions.length > 0 ? 2 : 0;
  },
};

async function readObservedFile(file: string): Promise<Observed> {
  let data: Observed;
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as Observed;
  } catch (err) {
    throw new UserInputError(`${file}: not an observation export: ${(err as Error).message}`);
  }
  if (data?.formatVersion !== 1 || !Array.isArray(data.domains) || !Array.isArray(data.snapshots) || !Array.isArray(data.findings)) {
    throw new UserInputError(`${file}: not an observation export (expected the JSON of \`xensnap list --json\`, formatVersion 1)`);
  }
  return data;
}
