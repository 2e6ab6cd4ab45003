import { createInterface } from 'node:readline/promises';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadConfigFor, observeHost } from '../host-context.js';
import { UserInputError } from '../../errors.js';
import { OperationJournal } from '../../apply/journal.js';
import { QdiskBackend } from '../../backends/qdisk/qdisk-backend.js';
import { BlktapBackend } from '../../backends/blktap/blktap-backend.js';
import { hostDriver } from '../../hypervisor/host-driver.js';
import { planRevert, renderRevertPlan, type RevertTarget } from '../../revert/revert-plan.js';
import { revertDomain } from '../../revert/revert-domain.js';

const help = `usage: xensnap revert DOMAIN SNAPSHOT [--yes] [--stop] [--paused]

Brings DOMAIN back to SNAPSHOT (managed or foreign). Nothing is lost: the current disks are
first kept as a new snapshot "pre-revert-<time>" (described "state before revert to SNAPSHOT"),
and snapshots newer than SNAPSHOT stay intact. Internal snapshots are applied to every disk;
external ones get a fresh, empty leaf over the snapshot's frozen image. Live snapshots also
restore memory and leave the domain running (or paused with --paused); disk-only snapshots
leave it shut off. The steps are shown first; on a terminal you are asked to confirm.

  --yes      do not ask (required when standard input is not a terminal)
  --stop     the domain is running or paused: stop it first. This discards its running
             state at once, like pulling the plug (xen: xl destroy; qemu: quit)
  --paused   after restoring a live snapshot, leave the domain paused
`;

export const revertCommand: Command = {
  name: 'revert',
  summary: 'revert a domain to a snapshot',
  help,
  async run(ctx) {
    const parsed = parseCommandArgs('revert', ctx.args, { yes: { type: 'boolean' }, stop: { type: 'boolean' }, paused: { type: 'boolean' } }, true);
    if (parsed.positionals.length !== 2) throw new UserInputError('revert: expected DOMAIN SNAPSHOT');
    const [name, snapshot] = parsed.positionals as [string, string];
    const config = await loadConfigFor(ctx);
    const { domains, observed } = await observeHost(config, [name], { command: 'revert' });
    const domain = domains[0]!;
    const snap = observed.snapshots.find((s) => s.domainKey === domain.key && s.name === snapshot);
    if (!snap) throw new UserInputError(`revert: domain ${name} has no snapshot "${snapshot}" (see xensnap list ${name})`);
    const target: RevertTarget = { name: snap.name, type: snap.type, mode: snap.record?.mode ?? 'disk-only', memoryFile: snap.record?.memoryFile ?? null, disks: snap.disks };
    const driver = hostDriver(config);
    const now = new Date();
    const plan = planRevert({ domain, live: await driver.status(domain), target, stop: Boolean(parsed.values.stop), paused: Boolean(parsed.values.paused), now, hypervisor: driver.kind });
    if (!plan.refusal && plan.memory && driver.kind === 'qemu' && !domain.launchArgv) {
      plan.refusal = `restoring the memory of a standalone QEMU needs its command line: add \`launch: [QEMU arguments]\` for ${name} to the qemu inventory`;
    }
    // the refusal is said once, as the error (stderr, exit 1), after the steps it stopped
    ctx.stdout.write(renderRevertPlan({ ...plan, refusal: null }));
    if (plan.refusal) throw new UserInputError(`revert: ${plan.refusal}; nothing was changed`);
    if (!parsed.values.yes) {
      if (!process.stdin.isTTY) throw new UserInputError(`revert: refusing to change domain ${name} without confirmation: standard input is not a terminal; pass --yes`);
      const rl = createInterface({ input: process.stdin, output: ctx.stdout });
      const answer = (await rl.question(`Revert ${name} to ${snapshot}? Type "yes" to continue: `)).trim();
      rl.close();
      if (answer !== 'yes') {
        ctx.stdout.write('revert cancelled; nothing was changed\n');
        return 1;
      }
    }
    const qdisk = new QdiskBackend({ connect: (d) => driver.qmp(d), online: driver.kind === 'xen' ? { locking: 'off' } : {} });
    const blktap = new BlktapBackend();
    const journal = await OperationJournal.begin(config.stateDir, {
      action: 'revert', domainKey: domain.key, domainName: domain.name, snapshot, backend: snap.disks[0]?.backend === 'tap' ? 'blktap' : 'qdisk',
      detail: { preRevert: plan.preRevert, stopFirst: plan.stopFirst, disks: plan.disks, memory: plan.memory },
    });
    let after;
    try {
      after = await revertDomain(plan, domain, { driver, backendFor: (d) => (d.backend === 'tap' ? blktap : qdisk), stateDir: config.stateDir, journal, now });
    } catch (err) {
      await journal.abandon(); // a half-done revert is work for recovery
      throw err;
    }
    await journal.end();
    ctx.stdout.write(`reverted ${name} to ${snapshot}; the previous state is snapshot ${plan.preRevert}; ${name} is ${after.state === 'shutoff' ? 'shut off' : after.state}\n`);
    return 0;
  },
};
