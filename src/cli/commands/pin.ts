import type { Command } from '../command.js';
import { loadConfigFor, observeHost } from '../host-context.js';
import { acquireInstanceLock } from '../../apply/instance-lock.js';
import { setPinned } from '../../state/index.js';
import { parseOneOff } from '../one-off/parse-one-off.js';
import { findSnapshot, ownerWords } from '../one-off/find-target.js';
import { UserInputError } from '../../errors.js';

const pinHelp = `usage: xensnap pin DOMAIN SNAPSHOT

Pins a snapshot xensnap recorded (manual or a policy's): no retention ever deletes it, and
\`xensnap delete\` refuses it until it is unpinned. The pin lives in the snapshot's record, so a
foreign snapshot (no record) cannot be pinned — and retention never deletes foreign ones anyway.
`;

const unpinHelp = `usage: xensnap unpin DOMAIN SNAPSHOT

Removes the pin of \`xensnap pin\`: the snapshot's policy retention applies to it again (a
manual snapshot is still never deleted by retention, only by \`xensnap delete\`).
`;

/** pin and unpin: flip `pinned` in the record, under the instance lock. */
function makePinCommand(pinned: boolean): Command {
  const name = pinned ? 'pin' : 'unpin';
  return {
    name,
    summary: pinned ? 'protect a snapshot from retention and delete' : 'remove the protection of pin',
    help: pinned ? pinHelp : unpinHelp,
    async run(ctx) {
      const { positionals } = parseOneOff(name, ctx.args, {}, ['DOMAIN', 'SNAPSHOT']);
      const [domainName, snapshot] = positionals as [string, string];
      const config = await loadConfigFor(ctx);
      const lock = await acquireInstanceLock(config.stateDir, name);
      try {
        const { domains, observed } = await observeHost(config, [domainName], { command: name });
        const domain = domains[0]!;
        const snap = findSnapshot(name, observed.snapshots, domain, snapshot);
        if (!snap.managed || !snap.record) {
          throw new UserInputError(`${name}: snapshot "${snapshot}" of ${domain.name} is foreign: there is no xensnap record to carry a pin; nothing was changed (retention never deletes foreign snapshots)`);
        }
        if (snap.record.pinned === pinned) {
          ctx.stdout.write(`snapshot ${snapshot} of ${domain.name} is already ${pinned ? 'pinned' : 'not pinned'}; nothing was changed\n`);
          return 0;
        }
        await setPinned(config.stateDir, domain.key, snapshot, pinned);
        ctx.stdout.write(pinned
          ? `pinned snapshot ${snapshot} of ${domain.name} (${ownerWords(snap)}): retention never deletes it\n`
          : `unpinned snapshot ${snapshot} of ${domain.name} (${ownerWords(snap)})${snap.record.policy === null ? ': as a manual snapshot, retention still never deletes it' : `: policy ${snap.record.policy}'s retention applies to it again`}\n`);
        return 0;
      } finally {
        await lock.release();
      }
    },
  };
}

export const pinCommand: Command = makePinCommand(true);
export const unpinCommand: Command = makePinCommand(false);
