import { execFile } from 'node:child_process';
import { BackendError } from '../errors.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  maxBuffer?: number;
  cwd?: string;
}

/**
 * Runs a program with an argument array (never a shell string). A non-zero exit, a signal or a
 * timeout becomes a BackendError carrying the command, exit code and stderr.
 */
export function run(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeout = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout, env: opts.env ?? process.env, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024, cwd: opts.cwd, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string };
        const exitCode = typeof e.code === 'number' ? e.code : null;
        const why = e.killed ? `timed out after ${timeout} ms` : e.code === 'ENOENT' ? 'not found' : 'failed';
        reject(new BackendError(`${cmd} ${why}`, { command: [cmd, ...args], exitCode, stderr: String(stderr ?? e.message) }));
      },
    );
  });
}
