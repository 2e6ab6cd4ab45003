import type { Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadConfigFor } from '../host-context.js';
import { readStatusFile, statusPath } from '../../loop/status-writer.js';
import { renderStatusText } from '../../loop/render-status.js';
import { UserInputError } from '../../errors.js';

const help = `usage: xensnap status [--json]

Shows what the reconcile daemon (\`xensnap run\`) last reported in stateDir/.status.json: loop
state, last run and its result, next wake, the policy set (validity, revision, problems) and
the last errors. Exit 0 when the daemon is running, 1 when it is not or never ran.

  --json   the status file as data (formatVersion 1) plus "running"
`;

/** Whether a pid is alive (EPERM: alive, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the reconcile daemon status',
  help,
  json: true,
  async run(ctx) {
    const parsed = parseCommandArgs('status', ctx.args, { json: { type: 'boolean' } });
    const config = await loadConfigFor(ctx);
    const path = statusPath(config.stateDir);
    let status;
    try {
      status = await readStatusFile(path);
    } catch (err) {
      throw new UserInputError((err as Error).message);
    }
    if (!status) throw new UserInputError(`xensnap status: no status file ${path}: the daemon (xensnap run) has not run with this stateDir`);
    const alive = pidAlive(status.pid);
    const running = alive && status.state !== 'stopped';
    if (parsed.values.json) ctx.stdout.write(JSON.stringify({ ...status, running }, null, 2) + '\n');
    else ctx.stdout.write(renderStatusText(status, alive));
    return running ? 0 : 1;
  },
};
