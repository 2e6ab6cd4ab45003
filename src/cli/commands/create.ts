import type { Command } from '../command.js';
import type { SnapshotMode, SnapshotType } from '../../model/policy.js';
import { loadConfigFor } from '../host-context.js';
import { executeOnHost } from '../../apply/reconcile-once.js';
import { parseOneOff } from '../one-off/parse-one-off.js';
import { withRecoveredHost } from '../one-off/with-host.js';
import { findDomain } from '../one-off/find-target.js';
import { checkNameFree, checkOneOffName, defaultSnapshotName } from '../one-off/snapshot-name.js';
import { chooseDisks, createAction } from '../one-off/one-off-action.js';
import { oneOffJson, renderOneOffText } from '../../render/one-off-views.js';
import { UserInputError } from '../../errors.js';
import { preflightCreate } from '../../plan/preflight-create.js';

const help = `usage: xensnap create DOMAIN [-n NAME] [--live | --disk-only] [--type internal|external]
                      [--disks xvda,...] [--description TEXT] [--pin] [--json]

Creates a one-off ("manual") snapshot of DOMAIN now, as the seed's snapshot-create did. It is
recorded as xensnap's own with no policy, so no retention ever deletes it; remove it with
\`xensnap delete\`. It runs like apply: under the instance lock, after recovering interrupted
work, through the same executor and journal, so a crash is recovered by the next apply/run.

  -n, --name NAME       snapshot name (letters, digits, '.', '_', '-'; must be free on DOMAIN).
                        Default: the epoch seconds (e.g. 1764133200); for --type internal
                        manual-<epoch seconds>, because qemu-img takes a digits-only name for a
                        snapshot id (so a digits-only internal name is refused)
  --disk-only           disks only, no memory (the default unless --live)
  --live                disks and memory state (a running or paused domain only)
  --type TYPE           external (the default: the leaf is frozen, a new overlay takes its place)
                        or internal (a tag in each qcow2 image)
  --disks LIST          comma-separated vdevs (default: every disk but CD-ROMs and read-only ones)
  --description TEXT    stored in the snapshot's record
  --pin                 pin it at once (\`xensnap unpin\` lifts that)
  --json                the result as data (formatVersion 1)
Exit 0 when the snapshot was made, 1 otherwise (nothing is left behind by a failed create).
`;

interface Wanted {
  domain: string;
  name: string | null;
  mode: SnapshotMode;
  type: SnapshotType;
  disks: string[] | null;
  description: string | null;
  pin: boolean;
  json: boolean;
}

/** Every argument check that needs no host: done before the lock is taken. */
function wanted(args: string[]): Wanted {
  const { values: v, positionals } = parseOneOff('create', args, {
    name: { type: 'string', short: 'n' },
    live: { type: 'boolean' },
    'disk-only': { type: 'boolean' },
    type: { type: 'string' },
    disks: { type: 'string' },
    description: { type: 'string' },
    pin: { type: 'boolean' },
    json: { type: 'boolean' },
  }, ['DOMAIN']);
  if (v.live && v['disk-only']) throw new UserInputError('create: --live and --disk-only exclude each other');
  const type = v.type ?? 'external';
  if (type !== 'internal' && type !== 'external') throw new UserInputError(`create: --type must be internal or external, not "${type}"`);
  let disks: string[] | null = null;
  if (v.disks !== undefined) {
    disks = v.disks.split(',').map((s) => s.trim());
    if (disks.some((d) => d === '')) throw new UserInputError(`create: --disks needs comma-separated vdevs, not "${v.disks}"`);
    const dup = disks.find((d, i) => disks!.indexOf(d) !== i);
    if (dup) throw new UserInputError(`create: disk ${dup} is named twice in --disks`);
  }
  if (v.name !== undefined) checkOneOffName('create', v.name, type);
  return {
    domain: positionals[0]!,
    name: v.name ?? null,
    mode: v.live ? 'live' : 'disk-only',
    type,
    disks,
    description: v.description ?? null,
    pin: Boolean(v.pin),
    json: Boolean(v.json),
  };
}

export const createCommand: Command = {
  name: 'create',
  summary: 'create a one-off snapshot',
  help,
  json: true,
  async run(ctx) {
    const w = wanted(ctx.args);
    const config = await loadConfigFor(ctx);
    return withRecoveredHost(config, 'create', async ({ host, backends }) => {
      const { domain, observed } = findDomain('create', host, w.domain);
      const name = w.name ?? defaultSnapshotName(w.type, new Date());
      const disks = chooseDisks(domain, w.disks, w.type);
      if (w.mode === 'live' && domain.state === 'shutoff') {
        throw new UserInputError(`create: domain ${domain.name} is shut off, so there is no memory to save: a live snapshot is refused; take a disk-only one (without --live); nothing was changed`);
      }
      const pre = preflightCreate({ mode: w.mode, quiesce: 'off', who: 'create' }, domain, observed, disks, host.observed.guestAgents);
      if (pre.blockers.length) throw new UserInputError(`create: ${pre.blockers.join('; ')}; nothing was changed`);
      await checkNameFree(host.observed, config.stateDir, domain, name, w.type, disks.map((d) => d.vdev));
      const action = createAction(domain, { name, mode: w.mode, type: w.type, disks, description: w.description, pin: w.pin });
      const [result] = await executeOnHost([action], host, { config, policies: [], backends });
      const view = oneOffJson(result!, host.recovered);
      if (w.json) ctx.stdout.write(JSON.stringify(view, null, 2) + '\n');
      else {
        const text = renderOneOffText(view);
        ctx.stdout.write(text.out);
        ctx.stderr.write(text.err);
      }
      return view.status === 'ok' ? 0 : 1;
    });
  },
};
