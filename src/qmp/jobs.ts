import { BackendError } from '../errors.js';
import type { QmpClient, QmpEvent } from './qmp-client.js';

/** One entry of `query-jobs` (QEMU 7.2); `error` is set only on a concluded job that failed. */
export interface QmpJobInfo {
  id: string;
  type: string;
  status: string;
  'current-progress': number;
  'total-progress': number;
  error?: string;
}

export interface JobOptions {
  /** Give up (and cancel the job) after this long; default 1 hour. */
  timeoutMs?: number;
  /** Called whenever the job's progress is read. */
  progress?: (done: number, total: number) => void;
  /** Active commit: send `job-complete` when the job is `ready`. */
  completeWhenReady?: boolean;
  /** Poll interval when no JOB_STATUS_CHANGE event arrives; default 100 ms. */
  pollMs?: number;
}

/**
 * Starts a job with `start` (a command that must be given `auto-dismiss: false` so the job stays
 * visible until we read its error), waits until it is `concluded`, dismisses it and throws a
 * BackendError carrying `query-jobs[].error` when it failed.
 *
 * On a guarded session (Xen: libxl's QMP lock) the wait is in short sessions: after the start the
 * connection is let go, and each poll connects, reads `query-jobs` and lets go again (a job runs
 * on without a client; `auto-dismiss: false` keeps its outcome until we read it), so libxl can
 * use the device model meanwhile. Polls back off from `pollMs` to 1 s.
 */
export async function runJob(client: QmpClient, jobId: string, start: () => Promise<unknown>, opts: JobOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 3_600_000;
  const pollMs = opts.pollMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | null = null;
  const onEvent = (ev: QmpEvent) => {
    if (ev.event === 'JOB_STATUS_CHANGE' && ev.data?.id === jobId && wake) wake();
  };
  client.on('event', onEvent);
  try {
    await waitConcluded();
  } catch (err) {
    // A QEMU that dies mid-job takes the job with it: say so plainly rather than naming a poll.
    if (!client.isClosed) throw err;
    throw new BackendError(`QMP connection to ${client.socketPath} closed while waiting for job ${jobId} to conclude`, {
      command: ['qmp', 'query-jobs', jobId],
      stderr: (err as Error).message,
    });
  } finally {
    client.off('event', onEvent);
  }

  async function waitConcluded(): Promise<void> {
    await start();
    let completed = false;
    let interval = pollMs;
    for (;;) {
      const job = await findJob(client, jobId);
      opts.progress?.(job['current-progress'], job['total-progress']);
      if (job.status === 'concluded') {
        await client.execute('job-dismiss', { id: jobId });
        if (job.error) {
          throw new BackendError(`QEMU job ${jobId} (${job.type}) failed: ${job.error}`, { command: ['qmp', 'query-jobs', jobId], stderr: job.error });
        }
        return;
      }
      if (job.status === 'ready' && opts.completeWhenReady && !completed) {
        completed = true;
        await client.execute('job-complete', { id: jobId });
        continue;
      }
      if (Date.now() > deadline) {
        await client.execute('job-cancel', { id: jobId, force: true }).catch(() => {});
        throw new BackendError(`QEMU job ${jobId} (${job.type}) did not finish within ${timeoutMs} ms (status ${job.status})`, {
          command: ['qmp', 'query-jobs', jobId],
        });
      }
      if (client.canLetGo) {
        await client.letGo();
        await new Promise((r) => setTimeout(r, interval));
        interval = Math.min(1000, interval * 2);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      });
    }
  }
}

async function findJob(client: QmpClient, jobId: string): Promise<QmpJobInfo> {
  const jobs = await client.execute<QmpJobInfo[]>('query-jobs', undefined, { timeoutMs: 10_000 });
  const job = jobs.find((j) => j.id === jobId);
  if (!job) throw new BackendError(`QEMU job ${jobId} vanished from query-jobs`, { command: ['qmp', 'query-jobs', jobId] });
  return job;
}
