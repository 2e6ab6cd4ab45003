import { BackendError, BugError, FormatError, UserInputError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { describeFsError } from '../yaml/read-text-file.js';
import { packageInfo } from './package-info.js';

/** errno codes a user, an operator or the host can cause: never a stack trace. */
const ENVIRONMENT_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EROFS', 'ENOSPC', 'EDQUOT', 'ELOOP', 'ENAMETOOLONG', 'EBUSY', 'ETXTBSY', 'EMFILE', 'ENFILE', 'EXDEV', 'ENOTEMPTY']);

/** How a failed command is reported: kind, text, and the JSON `--json` prints instead. */
export interface ErrorReport {
  kind: 'user-input' | 'backend' | 'format' | 'environment' | 'internal';
  /** The text for stderr, without a trailing newline. */
  text: string;
  /** `{formatVersion, error, kind, diagnostics, ...}`: what `--json` prints on stdout. */
  json: {
    formatVersion: 1;
    error: string;
    kind: ErrorReport['kind'];
    diagnostics: Array<Pick<Diagnostic, 'file' | 'line' | 'col' | 'path' | 'message'>>;
    command?: string[];
    exitCode?: number | null;
    stderr?: string;
  };
}

function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && ENVIRONMENT_CODES.has((err as NodeJS.ErrnoException).code!);
}

/**
 * Maps anything a command threw to what the operator sees. Input, backend, image and file
 * system problems are one line each; anything else is a bug in xensnap, said so plainly, with
 * where to report it and the stack trace the report needs.
 */
export function reportError(err: unknown): ErrorReport {
  const base = (kind: ErrorReport['kind'], text: string, error: string, diagnostics: Diagnostic[] = []): ErrorReport => ({
    kind,
    text,
    json: { formatVersion: 1, error, kind, diagnostics: diagnostics.map((d) => ({ file: d.file, line: d.line, col: d.col, path: d.path, message: d.message })) },
  });
  if (err instanceof UserInputError) {
    const headline = err.diagnostics.length ? err.headline : err.message;
    return base('user-input', err.message, headline, err.diagnostics);
  }
  if (err instanceof BackendError) {
    const r = base('backend', err.message, err.message);
    r.json = { ...r.json, command: err.command, exitCode: err.exitCode, stderr: err.stderr };
    return r;
  }
  if (err instanceof FormatError) return base('format', err.message, err.message);
  if (isErrno(err)) {
    const dest = (err as { dest?: string }).dest;
    const where = err.path ? `${err.path}${dest ? ` → ${dest}` : ''}: ` : '';
    const what = err.syscall ? `cannot ${err.syscall} ` : '';
    const msg = `xensnap: ${what}${where}${describeFsError(err)}`;
    return base('environment', msg, msg);
  }
  const e = err as Error | undefined;
  const message = err instanceof BugError ? e!.message.replace(/^internal error: /, '') : (e?.message ?? String(err));
  const info = packageInfo();
  const text = [
    `xensnap: internal error: ${message}`,
    `This is a bug in xensnap ${info.version}, not a problem with your input. Please report it at ${info.bugs}`,
    'with the command you ran and the lines below:',
    e?.stack ?? String(err),
  ].join('\n');
  return base('internal', text, `internal error: ${message} (a bug in xensnap ${info.version}; please report it at ${info.bugs})`);
}
