import type { Command } from '../command.js';

interface Planned {
  name: string;
  summary: string;
  usage: string;
}

/** Commands of DESIGN.md's contract whose issue has not landed yet. Running one exits 1. */
const planned: Planned[] = [
  { name: 'plan', summary: 'show what apply would create and delete', usage: 'xensnap plan [--at ISO] [--json] [--diff] [-o FILE] [--detailed-exitcode] [--domain NAME]... [--observed FILE]' },
  { name: 'apply', summary: 'carry out a plan', usage: 'xensnap apply [PLANFILE] [--at ISO] [--yes] [--max-deletes N] [--json]' },
  { name: 'run', summary: 'the reconcile loop', usage: 'xensnap run [--once]' },
  { name: 'list', summary: 'list snapshots, managed and foreign', usage: 'xensnap list [DOMAIN] [-l|--long] [--tree] [--json]' },
  { name: 'revert', summary: 'revert a domain to a snapshot', usage: 'xensnap revert DOMAIN SNAPSHOT [--yes]' },
  { name: 'create', summary: 'create a one-off snapshot', usage: 'xensnap create DOMAIN [-n NAME] [--live|--disk-only] [--type internal|external] [--description T]' },
  { name: 'delete', summary: 'delete one snapshot', usage: 'xensnap delete DOMAIN SNAPSHOT [--yes]' },
  { name: 'pin', summary: 'protect a snapshot from retention', usage: 'xensnap pin DOMAIN SNAPSHOT' },
  { name: 'unpin', summary: 'remove the protection of pin', usage: 'xensnap unpin DOMAIN SNAPSHOT' },
  { name: 'simulate', summary: 'replay a policy over a time span', usage: 'xensnap simulate [--policy FILE] --from ISO --to ISO [--json]' },
  { name: 'status', summary: 'show the reconcile daemon status', usage: 'xensnap status [--json]' },
];

export const placeholderCommands: Command[] = planned.map((p) => ({
  name: p.name,
  summary: p.summary,
  help: `usage: ${p.usage}\n\n${p.summary}.\n(not available in this build yet)\n`,
  async run(ctx) {
    ctx.stderr.write(`xensnap ${p.name}: not available in this build yet\n`);
    return 1;
  },
}));
