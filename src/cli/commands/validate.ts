import { parseArgs } from 'node:util';
import type { Command, CommandContext } from '../command.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../../model/diagnostic.js';
import { loadHostConfig } from '../../config/load-host-config.js';
import { loadPolicies } from '../../policy/load-policies.js';
import { renderPolicyTable } from '../../render/policy-table.js';

const HELP = `usage: xensnap validate [PATH...] [-l|--long] [--json]

Checks snapshot policy files: YAML syntax, the schema
(policies/schema/snapshot-policy.schema.json), and the rules beyond it (unique names across
all files, 5-field cron, IANA timezone, at least one retention rule, ranges, durations,
non-empty selectors, hook profiles that the host config defines). Also checks the host
config when it exists. Reads only; never writes anything.

PATH is a policy file or a directory (searched recursively for *.yaml and *.yml; hidden
entries skipped). Default: the host config's policyDir.

Prints "N policies valid" and exits 0, or prints every problem as file:line:col: message,
sorted, on stderr and exits 1.

options:
  -l, --long   also print the valid policies as a table
  --json       print {formatVersion: 1, valid, policies: [names], diagnostics: [...]} on stdout
`;

/** `xensnap validate`: the policy check for pre-merge CI and for the host. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check policy files (and the host config)',
  help: HELP,
  async run(ctx: CommandContext) {
    let parsed;
    try {
      parsed = parseArgs({ args: ctx.args, options: { json: { type: 'boolean' }, long: { type: 'boolean', short: 'l' } }, allowPositionals: true, strict: true });
    } catch (err) {
      ctx.stderr.write(`xensnap validate: ${(err as Error).message}\n${HELP}`);
      return 1;
    }
    const { config, diagnostics: configDiagnostics } = await loadHostConfig(ctx.configPath, { mustExist: ctx.configExplicit });
    const paths = parsed.positionals.length ? parsed.positionals : [config.policyDir];
    // hook names are checked against the config only when a config file was actually read
    const hookProfiles =
      config.source && configDiagnostics.length === 0 ? { names: Object.keys(config.hooks), configFile: ctx.configPath } : null;
    const result = await loadPolicies(paths, { hookProfiles });
    const diagnostics: Diagnostic[] = sortDiagnostics([...configDiagnostics, ...result.diagnostics]);
    const valid = diagnostics.length === 0;
    if (parsed.values.json) {
      const out = {
        formatVersion: 1,
        valid,
        policies: result.policies.map((p) => p.name),
        diagnostics: diagnostics.map((d) => ({ file: d.file, line: d.line, col: d.col, path: d.path, message: d.message })),
      };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return valid ? 0 : 1;
    }
    if (!valid) {
      ctx.stderr.write(diagnostics.map((d) => formatDiagnostic(d) + '\n').join(''));
      return 1;
    }
    if (parsed.values.long && result.policies.length) ctx.stdout.write(renderPolicyTable(result.policies) + '\n');
    const n = result.policies.length;
    ctx.stdout.write(`${n} ${n === 1 ? 'policy' : 'policies'} valid\n`);
    return 0;
  },
};
