import { run, type ExecOptions } from '../util/exec.js';

/**
 * Runs `xl` with an argument array and resolves to its stdout. Any failure (missing binary,
 * non-zero exit, timeout) rejects with a BackendError carrying the command, exit code and stderr.
 */
export type XlRunner = (args: string[]) => Promise<string>;

/** The real `xl` found on PATH (`opts.env` may carry a different PATH, e.g. for stand-ins). */
export function systemXl(opts: ExecOptions = {}): XlRunner {
  return async (args) => (await run('xl', args, { timeoutMs: 60_000, ...opts })).stdout;
}
