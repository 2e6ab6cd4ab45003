import { createInterface } from 'node:readline/promises';
import type { Command } from '../command.js';
import { loadConfigFor } from '../host-context.js';
import { parseOneOff } from '../one-off/parse-one-off.js';
import { withRecoveredHost } from '../one-off/with-host.js';
import { findDomain, findSnapshot } from '../one-off/find-target.js';
import { UserInputError } from '../../errors.js';
import { recordStore } from '../../apply/reconcile-once.js';
import { hostDriver } from '../../hypervisor/host-driver.js';
import type { HypervisorDriver } from '../../hypervisor/driver.js';
import type { Domain } from '../../model/domain.js';
import { planRevert, renderRevertPlan, type RevertPlan, type RevertTarget } from '../../revert/revert-plan.js';
import { knownImagesOf, locateTarget } from '../../revert/locate-target.js';
import { revertRefusals } from '../../revert/revert-checks.js';
import { runRevert } from '../../revert/run-revert.js';

const help = `usage: xensnap revert DOMAIN SNAPSHOT [--yes] [--stop] [--paused]

Brings DOMAIN back to SNAPSHOT (managed or foreign). Nothing is lost: the current disks are
first kept as a new snapshot "pre-revert-<time>" (described "state before revert to SNAPSHOT"),
and every other snapshot stays intact. An internal snapshot in the leaf is applied in place (the
pre-revert snapshot is then an internal one too); one in a frozen image below the leaf, or on a
side branch, gets a fresh leaf over that image holding the snapshot's content (the image is not
changed; the pre-revert snapshot freezes the leaf). An external snapshot gets a fresh, empty
leaf over its frozen image. Live snapshots also restore memory and leave the domain running (or
paused with --paused); disk-only snapshots leave it shut off.

It runs like apply: under the instance lock, after recovering interrupted work. Everything that
can be checked is checked before anything changes (the snapshot's images and tags, free space,
what the hypervisor can do, the domain's state), and the steps are shown first; on a terminal
you are asked to confirm. The revert is journaled: after a failure, or a crash at any moment
(then the next apply, run or \`xensnap recover\`), the domain ends either as before the revert
or fully reverted, never with some disks reverted; the message says which.

  --yes      do not ask (required when standard input is not a terminal)
  --stop     the domain is running or paused: stop it first. This discards its running
             state at once, like pulling the plug (xen: xl destroy; qemu: quit)
  --paused   after restoring a live snapshot, leave the domain paused
Exit 0 when the domain is reverted, 1 otherwise.
`;

/** Why the driver cannot bring this domain's memory back, or null. */
function memoryRefusal(driver: HypervisorDriver, domain: Domain, plan: RevertPlan): string | null {
  if (!plan.memory || driver.kind !== 'qemu') return null;
  if (plan.memory.kind === 'internal' && !driver.restoreInternal) return `the ${driver.kind} driver cannot load internal snapshots with memory`;
  if (!domain.launchArgv) return `restoring the memory of a standalone QEMU needs its command line: add \`launch: [QEMU arguments]\` for ${domain.name} to the qemu inventory`;
  return null;
}

async function confirmRevert(ctx: { stdout: NodeJS.WritableStream }, name: string, snapshot: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UserInputError(`revert: refusing to change domain ${name} without confirmation: standard input is not a terminal; pass --yes`);
  const rl = createInterface({ input: process.stdin, output: ctx.stdout });
  try {
    return (await rl.question(`Revert ${name} to ${snapshot}? Type "yes" to continue: `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

export const revertCommand: Command = {
  name: 'revert',
  summary: 'revert a domain to a snapshot',
  help,
  async run(ctx) {
    const { values: v, positionals } = parseOneOff('revert', ctx.args, { yes: { type: 'boolean' }, stop: { type: 'boolean' }, paused: { type: 'boolean' } }, ['DOMAIN', 'SNAPSHOT']);
    const [name, snapshot] = positionals as [string, string];
    const config = await loadConfigFor(ctx);
    return withRecoveredHost(config, 'revert', async ({ host, backends }) => {
      for (const r of host.recovered) ctx.stdout.write(`recovered: ${r}\n`);
      const { domain } = findDomain('revert', host, name);
      const snap = findSnapshot('revert', host.observed.snapshots, domain, snapshot);
      const target: RevertTarget = { name: snap.name, type: snap.type, mode: snap.record?.mode ?? 'disk-only', memoryFile: snap.record?.memoryFile ?? null, disks: snap.disks };
      const driver = hostDriver(config);
      const live = await driver.status(domain);
      const { located, problems } = await locateTarget(domain, target, knownImagesOf(host.observed.snapshots, domain.key));
      const now = new Date();
      const plan = planRevert({ domain, live, target, located, problems, stop: Boolean(v.stop), paused: Boolean(v.paused), now, hypervisor: driver.kind });
      if (!plan.refusal) {
        const more = await revertRefusals(plan, domain, { stateDir: config.stateDir, canRestoreMemory: memoryRefusal(driver, domain, plan) });
        plan.refusal = more[0] ?? null;
        plan.notes.push(...more.slice(1).map((m) => `also refused: ${m}`));
      }
      // the refusal is said once, as the error (stderr, exit 1), after the steps it stopped
      ctx.stdout.write(renderRevertPlan({ ...plan, refusal: null }));
      if (plan.refusal) throw new UserInputError(`revert: ${plan.refusal}; nothing was changed`);
      if (!v.yes && !(await confirmRevert(ctx, name, snapshot))) {
        ctx.stdout.write('revert cancelled; nothing was changed\n');
        return 1;
      }
      const report = await runRevert(plan, domain, { driver, backends, stateDir: config.stateDir, records: recordStore, now });
      (report.ok ? ctx.stdout : ctx.stderr).write(report.text);
      return report.ok ? 0 : 1;
    });
  },
};
