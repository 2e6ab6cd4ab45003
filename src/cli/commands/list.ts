import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadConfigFor, observeHost } from '../host-context.js';
import { renderFindings, renderListLong, renderListShort, renderListTree } from '../../render/list-view.js';
import { UserInputError } from '../../errors.js';
import { observedGraphs } from '../../plan/graph/disk-graph.js';
import { markPendingJournals } from '../pending-journals.js';
import { observeSkipped } from '../../observe/observe-skipped.js';
import { nativeImageReader } from '../../observe/native-image-reader.js';
import { readDomainRecords } from '../../state/index.js';

const help = `usage: xensnap list [DOMAIN] [-l|--long] [--tree] [--json]

Lists the snapshots that exist — xensnap's own (origin: the policy, or "manual") and
everyone else's (origin "foreign") — read from the images and xensnap's records.

  -l, --long   description, slot, policy revision, memory file and per-disk detail
  --tree       each disk's snapshot graph from its base up, side branches and shared
               images included, with the chain depth and who owns each image and tag
  --json       the whole observation as data (formatVersion 1), with each disk's graph
               ("graphs": images, what reads through each, owners); this is the file
               \`xensnap plan --observed FILE\` plans against
Findings (drift between records and images, broken chains) follow as "!" lines. A domain
that is skipped (its state cannot be told, its configuration is broken, …) is listed with
"(skipped)" and the snapshots its records and images on disk still show; a "!" line says why.
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
    const { observed } = await observeHost(config, parsed.positionals, { command: 'list', allowSkipped: true });
    await markPendingJournals(observed, config.stateDir);
    // skipped domains: what their records and images on disk still say
    const readable = await observeSkipped((observed.skipped ?? []).filter((s) => s.cause !== 'pending-journal'), {
      reader: nativeImageReader,
      records: { read: (key) => readDomainRecords(config.stateDir, key) },
    });
    for (const s of observed.skipped ?? []) {
      const snaps = readable.get(s.name);
      if (snaps) s.snapshots = snaps;
    }
    if (parsed.values.json) {
      // the observation (what `plan --observed` reads back) and, derived from it, each disk's graph with owners
      ctx.stdout.write(JSON.stringify({ ...observed, graphs: observedGraphs(observed) }, null, 2) + '\n');
      return 0;
    }
    const body = parsed.values.tree ? renderListTree(observed) : parsed.values.long ? renderListLong(observed) : renderListShort(observed);
    ctx.stdout.write(body);
    const findings = renderFindings(observed);
    if (findings) ctx.stdout.write(findings);
    return 0;
  },
};
