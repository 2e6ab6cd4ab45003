import { BackendError } from '../errors.js';
import type { QmpClient } from './qmp-client.js';

// HMP reports failures as text inside a successful QMP reply (LIVE-EXTERNAL "Small facts"),
// so the text itself must be checked.
const ERROR_TEXT = /error|failed|not found|does not have|cannot|can't|invalid|denied|unknown command|no such/i;

/** Runs an HMP command line through `human-monitor-command`; throws when its text shows a failure. */
export async function humanMonitor(client: QmpClient, cmdline: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const text = await client.execute<string>('human-monitor-command', { 'command-line': cmdline }, opts);
  if (ERROR_TEXT.test(text)) {
    throw new BackendError(`HMP command failed: ${text.trim()}`, { command: ['qmp', 'human-monitor-command', cmdline], stderr: text });
  }
  return text;
}
