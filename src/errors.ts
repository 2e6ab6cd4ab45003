import { type Diagnostic, formatDiagnostic } from './model/diagnostic.js';

/** Bad user input: policies, config, arguments. Maps to exit code 1; nothing was changed. */
export class UserInputError extends Error {
  readonly diagnostics: Diagnostic[];
  /** The summary given (e.g. "invalid policies"); `message` is the diagnostics when there are any. */
  readonly headline: string;
  constructor(message: string, diagnostics: Diagnostic[] = []) {
    super(diagnostics.length ? diagnostics.map(formatDiagnostic).join('\n') : message);
    this.name = 'UserInputError';
    this.diagnostics = diagnostics;
    this.headline = message;
  }
}

/** A backend or external tool failed: carries the command, its exit code and stderr. */
export class BackendError extends Error {
  readonly command: string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(message: string, opts: { command?: string[]; exitCode?: number | null; stderr?: string } = {}) {
    const cmd = opts.command ?? [];
    const detail = [
      cmd.length ? `command: ${cmd.join(' ')}` : '',
      opts.exitCode !== undefined ? `exit code: ${opts.exitCode}` : '',
      opts.stderr ? `stderr: ${opts.stderr.trim()}` : '',
    ].filter(Boolean);
    super(detail.length ? `${message} (${detail.join('; ')})` : message);
    this.name = 'BackendError';
    this.command = cmd;
    this.exitCode = opts.exitCode ?? null;
    this.stderr = opts.stderr ?? '';
  }
}

/** An image or record that cannot be parsed: names the file and the problem. */
export class FormatError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'FormatError';
    this.file = file;
  }
}

/** A broken invariant inside xensnap itself. */
export class BugError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}`);
    this.name = 'BugError';
  }
}
