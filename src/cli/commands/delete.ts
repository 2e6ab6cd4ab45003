import type { Command } from '../command.js';
import type { Observed } from '../../model/observed.js';
import type { ObservedSnapshot } from '../../model/snapshot.js';
import { loadConfigFor } from '../host-context.js';
import { confirmOnTerminal } from '../confirm.js';
import { executeOnHost } from '../../apply/reconcile-once.js';
import { parseOneOff } from '../one-off/parse-one-off.js';
import { withRecoveredHost } from '../one-off/with-host.js';
import { findDomain, findSnapshot, ownerWords } from '../one-off/find-target.js';
import { deleteAction } from '../one-off/one-off-action.js';
import { oneOffJson, renderDeletePreview, renderOneOffText } from '../../render/one-off-views.js';
import { snapshotOrigin } from '../../render/snapshot-origin.js';
import { UserInputError } from '../../errors.js';

const help = `usage: xensnap delete DOMAIN SNAPSHOT [--yes] [--foreign] [--json]

Deletes one snapshot xensnap recorded — a manual one or a policy's — as the seed's
snapshot-delete did. An external snapshot is merged away (its frozen image streamed into its
child, or the child committed into it, whichever copies less) so no other snapshot and no data
of the leaf is lost; the cost is shown first. On a terminal you are asked to confirm; elsewhere
--yes is required. It runs like apply: under the instance lock, after recovery, through the
same executor and journal.

A pinned snapshot is refused: unpin it first (\`xensnap unpin DOMAIN SNAPSHOT\`), so a pin
guards against a slip of the hand as well as against retention.

  --yes       do not ask
  --foreign   allow deleting a snapshot xensnap did not make (no record), through the same
              merge paths; without it such a snapshot is refused
  --json      the result as data (formatVersion 1); the question, if any, goes to stderr
Exit 0 when the snapshot is gone, 1 otherwise.
`;

/**
 * A foreign external snapshot's image may be a base other domains are built on (a template):
 * merging it away would break them. Refuse when any image of the snapshot is the base of a chain
 * (other hosts may share it too) or appears in a chain of another disk or domain here.
 */
function refuseSharedImages(snap: ObservedSnapshot, domainKey: string, observed: Observed): void {
  for (const d of snap.disks) {
    if (!d.frozenPath) continue;
    for (const od of observed.domains) {
      for (const disk of od.disks) {
        const i = disk.chain.findIndex((m) => m.path === d.frozenPath);
        if (i < 0) continue;
        const here = od.domain.key === domainKey && disk.vdev === d.vdev;
        if (!here) throw new UserInputError(`delete: ${d.frozenPath} is also in the chain of ${od.domain.name} ${disk.vdev}; nothing was changed`);
        if (i === disk.chain.length - 1) throw new UserInputError(`delete: ${d.frozenPath} is the base image of ${od.domain.name} ${disk.vdev}, which other domains or hosts may share; nothing was changed`);
      }
    }
  }
}

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete one snapshot',
  help,
  json: true,
  async run(ctx) {
    const { values: v, positionals } = parseOneOff('delete', ctx.args, { yes: { type: 'boolean' }, foreign: { type: 'boolean' }, json: { type: 'boolean' } }, ['DOMAIN', 'SNAPSHOT']);
    const [domainName, snapshot] = positionals as [string, string];
    const config = await loadConfigFor(ctx);
    return withRecoveredHost(config, 'delete', async ({ host, backends }) => {
      const { domain } = findDomain('delete', host, domainName);
      const snap = findSnapshot('delete', host.observed.snapshots, domain, snapshot);
      if (!snap.managed && !v.foreign) {
        throw new UserInputError(`delete: snapshot "${snapshot}" of ${domain.name} is foreign (xensnap has no record of it); nothing was changed; pass --foreign to delete it anyway`);
      }
      if (!snap.managed) refuseSharedImages(snap, domain.key, host.observed);
      if (snap.record?.pinned) {
        throw new UserInputError(`delete: snapshot "${snapshot}" of ${domain.name} is pinned (${ownerWords(snap)}); nothing was changed; unpin it first: xensnap unpin ${domain.name} ${snapshot}`);
      }
      const action = deleteAction(domain, snap, host.observed);
      const talk = v.json ? ctx.stderr : ctx.stdout;
      if (!v.json) ctx.stdout.write(renderDeletePreview(action, snap));
      if (!(await confirmOnTerminal(`Delete snapshot ${snapshot} of ${domain.name}?`, Boolean(v.yes), { stdout: talk }))) {
        talk.write('delete cancelled; nothing was changed\n');
        return 1;
      }
      const [result] = await executeOnHost([action], host, { config, policies: [], backends });
      const view = oneOffJson(result!, host.recovered, snapshotOrigin(snap));
      if (v.json) ctx.stdout.write(JSON.stringify(view, null, 2) + '\n');
      else {
        const text = renderOneOffText(view);
        ctx.stdout.write(text.out);
        ctx.stderr.write(text.err);
      }
      return view.status === 'ok' ? 0 : 1;
    });
  },
};
