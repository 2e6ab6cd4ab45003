import type { DaemonStatus } from './daemon-status.js';

/** Slack on top of two resync intervals before a quiet loop counts as stuck. */
export const HEALTH_MARGIN_MS = 60_000;

/**
 * Healthy when the loop is alive (not stopping/stopped) and its last finished run — or its
 * start, before the first run ends — is not older than 2 × resync interval + margin.
 */
export function isHealthy(status: DaemonStatus, nowMs: number, resyncIntervalMs: number): { ok: boolean; reason: string } {
  if (status.state === 'stopping' || status.state === 'stopped') return { ok: false, reason: `loop is ${status.state}` };
  const ref = status.lastRun?.finishedAt ?? status.started;
  const age = nowMs - Date.parse(ref);
  const limit = 2 * resyncIntervalMs + HEALTH_MARGIN_MS;
  if (age > limit) return { ok: false, reason: `last run ended ${Math.round(age / 1000)} s ago (limit ${Math.round(limit / 1000)} s)` };
  return { ok: true, reason: status.lastRun ? `last run ${status.lastRun.result} at ${status.lastRun.finishedAt}` : 'first run in progress' };
}
