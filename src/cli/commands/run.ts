import type { Command, CommandContext } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import type { Reconciler } from '../../loop/reconciler.js';
import { loadConfigFor } from '../host-context.js';
import { acquireInstanceLock, waitForInstanceLock, DAEMON_LOCK_FILE } from '../../apply/instance-lock.js';
import { reconcileOnce } from '../../apply/reconcile-once.js';
import { loggerFor } from '../../loop/logger.js';
import { realTimers } from '../../loop/timers.js';
import { policyDirLoader } from '../../loop/policy-source.js';
import { runDaemon } from '../../loop/run-daemon.js';
import { runSingle } from '../../loop/run-single.js';
import { UserInputError } from '../../errors.js';
import { parsePastInstant } from '../parse-instant.js';

const help = `usage: xensnap run [--once [--at ISO]]

The reconcile loop: recover interrupted work, observe, plan and apply, again and again.
It wakes at the next schedule slot of any policy, when a file in policyDir changes, on SIGHUP
(re-reads the host config and the policies) and every resyncInterval. An invalid policy set is
reported (logs, status, metrics) and the last valid one stays in force.

Holds stateDir/.daemon.lock for its lifetime (one loop per state dir) and the operation lock
stateDir/.lock only while it reconciles (apply, create, delete and pin run in between); writes stateDir/.status.json (see
\`xensnap status\`); serves /metrics and /healthz when the host config sets \`listen\`.
Logs one JSON object per line on stderr (readable text when stderr is a terminal).
SIGTERM/SIGINT: finish or roll back the current step, release the lock, exit 0.

  --once     one reconcile, then exit: 0 when it succeeded, 1 otherwise
  --at ISO   with --once: plan that reconcile for this moment instead of now; never later
             than now (5 minutes of clock skew allowed)
`;

export const runCommand: Command = {
  name: 'run',
  summary: 'the reconcile loop (daemon)',
  help,
  async run(ctx: CommandContext) {
    const parsed = parseCommandArgs('run', ctx.args, { once: { type: 'boolean' }, at: { type: 'string' } });
    if (parsed.values.at !== undefined && !parsed.values.once) throw new UserInputError('run: --at goes with --once only (the loop plans for the present)');
    const at = parsed.values.at !== undefined ? parsePastInstant(parsed.values.at, '--at', 'run', new Date()) : null;
    const config = await loadConfigFor(ctx);
    const log = loggerFor(ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean }, ctx.env);
    // One loop per state dir (the daemon lock); each reconcile takes the operation lock, so an
    // operator's apply/create/delete runs between reconciles instead of being refused all day.
    const lock = await acquireInstanceLock(config.stateDir, parsed.values.once ? 'run --once' : 'run', DAEMON_LOCK_FILE);
    const reconciler: Reconciler = async (o) => {
      const op = await waitForInstanceLock(o.config.stateDir, 'run', o.signal ? { signal: o.signal } : {});
      try {
        return await reconcileOnce(at ? { ...o, now: at } : o);
      } finally {
        await op.release();
      }
    };
    let code = 1;
    try {
      const common = { config, reconciler, loadPolicies: policyDirLoader(), log, timers: realTimers(), signals: process };
      code = parsed.values.once
        ? await runSingle(common)
        : await runDaemon({ ...common, reloadConfig: () => loadConfigFor(ctx) });
    } finally {
      await lock.release();
    }
    // a backend step abandoned by a forced stop may still hold handles open: do not wait for it
    if (code !== 0) setTimeout(() => process.exit(code), 1000).unref();
    return code;
  },
};
