import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadConfigFor, observeHost } from '../host-context.js';
import { renderFindings, renderListLong, renderListShort, renderListTree } from '../../render/list-view.js';
import { UserInputError } from '../../errors.js';

const help = `usage: xensnap list [DOMAIN] [-l|--long] [--tree] [--json]

Lists the snapshots that exist — xensnap's own (origin: the policy, or "manual") and
everyone else's (origin "foreign") — read from the images and xensnap's records.

  -l, --long   description, slot, policy revision, memory file and per-disk detail
  --tree       each disk's image chain from the leaf down, with its depth
  --json       the whole observation as data (formatVersion 1); this is the file
               \`xensnap plan --observed FILE\` plans against
Findings (drift between records and images, broken chains) follow as "!" lines.
`;

export const listCommand: Command = {
  name: 'list',
  summary: 'list snapshots, managed and foreign',
  help,
  json: true,
  async run(ctx) {
    const parsed = parseCommandArgs('list', ctx.args, { long: { type: 'boolean', short: 'l' }, tree: { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (parsed.positionals.length > 1) throw new UserInputError('list: at most one DOMAIN');
    const config = await loadConfigFor(ctx);
    const { observed } = await observeHost(config, parsed.positionals);
    if (parsed.values.json) {
      ctx.stdout.write(JSON.stringify(observed, null, 2) + '\n');
      return 0;
    }
    const body = parsed.values.tree ? renderListTree(observed) : parsed.values.long ? renderListLong(observed) : renderListShort(observed);
    ctx.stdout.write(body);
    const findings = renderFindings(observed);
    if (findings) ctx.stdout.write(findings);
    return 0;
  },
};
