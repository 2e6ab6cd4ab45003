/** Fields attached to a log line; values must be JSON-serialisable. */
export type LogFields = Record<string, unknown>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A line logger. JSON mode: exactly one JSON object per line; text mode: one readable line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

function textValue(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
}

/**
 * Writes to `out`: JSON lines when `json` (stderr is not a terminal — journald, a collector),
 * else `TIME LEVEL message key=value…`. Multi-line values stay on one line in both.
 */
export function createLogger(out: NodeJS.WritableStream, opts: { json: boolean; now?: () => number; debug?: boolean }): Logger {
  const now = opts.now ?? Date.now;
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (level === 'debug' && !opts.debug) return;
    const time = new Date(now()).toISOString();
    if (opts.json) {
      out.write(JSON.stringify({ time, level, msg, ...fields }) + '\n');
      return;
    }
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${textValue(v)}`)
      .join('');
    out.write(`${time} ${level.padEnd(5)} ${msg.replace(/\n/g, '\\n')}${extra}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** JSON when the stream is not a terminal. */
export function loggerFor(stream: NodeJS.WritableStream & { isTTY?: boolean }, env: NodeJS.ProcessEnv): Logger {
  return createLogger(stream, { json: !stream.isTTY, debug: env.XENSNAP_DEBUG === '1' });
}
