import type { Command, CommandContext } from '../command.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../../model/diagnostic.js';
import { loadHostConfig } from '../../config/load-host-config.js';
import { loadPolicies } from '../../policy/load-policies.js';
import { renderPolicyTable } from '../../render/policy-table.js';
import type { HostConfig } from '../../model/host-config.js';
import { parseQemuInventory } from '../../inventory/parse-qemu-inventory.js';
import { configuredDomains } from '../configured-domains.js';
import { mixedPolicyFindings } from '../../plan/mixed-policies.js';
import type { Policy } from '../../model/policy.js';
import { readTextFile } from '../../yaml/read-text-file.js';
import { parseCommandArgs } from '../parse-command-args.js';

const HELP = `usage: xensnap validate [PATH...] [-l|--long] [--json]

Checks snapshot policy files: YAML syntax, the schema
(policies/schema/snapshot-policy.schema.json), and the rules beyond it (unique names across
all files, 5-field cron, IANA timezone, at least one retention rule, ranges, durations,
non-empty selectors, hook profiles that the host config defines). Also checks the host
config when it exists (and that its stateDir and xen directories are directories), and the
qemu inventory it names. Reads only; never writes anything.

PATH is a policy file or a directory (searched recursively for *.yaml and *.yml; hidden
entries skipped). Default: the host config's policyDir — when the host config is invalid its
policyDir is unknown, so no policy is checked and the config's problems are the answer.

Prints "N policies valid" and exits 0, or prints every problem as file:line:col: message,
sorted, on stderr and exits 1.

options:
  -l, --long   also print the valid policies as a table
  --json       print {formatVersion: 1, valid, policies: [names], diagnostics: [...],
               checked: {config, inventory, policies}} on stdout
`;

/**
 * What the policies cost on the domains the config names: each disk an internal and an external
 * policy both select (in any state), in words.
 */
async function mixedNotes(config: HostConfig, policies: Policy[]): Promise<string[]> {
  const sorted = [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const notes = new Set<string>();
  for (const d of await configuredDomains(config)) {
    for (const state of ['running', 'paused', 'shutoff'] as const) {
      for (const f of mixedPolicyFindings(sorted, { ...d, state })) notes.add(`domain ${d.name}: ${f.message}`);
    }
  }
  return [...notes];
}

/** The qemu inventory the config names, checked as the inventory loader would; [] for xen. */
async function inventoryDiagnostics(config: HostConfig): Promise<{ file: string | null; diagnostics: Diagnostic[] }> {
  const file = config.hypervisor === 'qemu' ? config.qemu.inventory : null;
  if (file === null) return { file: null, diagnostics: [] };
  const read = await readTextFile(file);
  if (!read.ok) return { file, diagnostics: [{ ...read.diagnostic, message: `qemu inventory: ${read.diagnostic.message}` }] };
  return { file, diagnostics: parseQemuInventory(read.text, file).diagnostics };
}

/** `xensnap validate`: the policy check for pre-merge CI and for the host. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check policy files (and the host config)',
  help: HELP,
  json: true,
  async run(ctx: CommandContext) {
    const parsed = parseCommandArgs('validate', ctx.args, { json: { type: 'boolean' }, long: { type: 'boolean', short: 'l' } }, true);
    const { config, diagnostics: configDiagnostics } = await loadHostConfig(ctx.configPath, { mustExist: ctx.configExplicit });
    const configOk = configDiagnostics.length === 0;
    const configFile = config.source?.file ?? (configOk ? null : ctx.configPath);
    // an invalid config names no policy dir we could trust: check only what was named
    const paths = parsed.positionals.length ? parsed.positionals : configOk ? [config.policyDir] : [];
    // hook names are checked against the config only when a config file was actually read
    const hookProfiles = config.source && configOk ? { names: Object.keys(config.hooks), configFile: ctx.configPath } : null;
    const result = paths.length ? await loadPolicies(paths, { hookProfiles }) : { policies: [], diagnostics: [] };
    const inventory = configOk ? await inventoryDiagnostics(config) : { file: null, diagnostics: [] };
    const diagnostics: Diagnostic[] = sortDiagnostics([...configDiagnostics, ...inventory.diagnostics, ...result.diagnostics]);
    const valid = diagnostics.length === 0;
    const notes = valid && configOk && config.source ? await mixedNotes(config, result.policies) : [];
    if (parsed.values.json) {
      const out = {
        formatVersion: 1,
        valid,
        policies: result.policies.map((p) => p.name),
        diagnostics: diagnostics.map((d) => ({ file: d.file, line: d.line, col: d.col, path: d.path, message: d.message })),
        checked: { config: configFile, inventory: inventory.file, policies: paths },
        notes,
      };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return valid ? 0 : 1;
    }
    if (!valid) {
      ctx.stderr.write(diagnostics.map((d) => formatDiagnostic(d) + '\n').join(''));
      if (!paths.length) ctx.stderr.write(`xensnap validate: no policy checked: the host config ${ctx.configPath} is invalid, so its policyDir is unknown; fix it, or name policy paths\n`);
      return 1;
    }
    if (parsed.values.long && result.policies.length) ctx.stdout.write(renderPolicyTable(result.policies) + '\n');
    const n = result.policies.length;
    for (const note of notes) ctx.stdout.write(`note: ${note}\n`);
    ctx.stdout.write(`${n} ${n === 1 ? 'policy' : 'policies'} valid${inventory.file ? `; qemu inventory ${inventory.file} valid` : ''}\n`);
    return 0;
  },
};
