import type { Diagnostic } from '../../model/diagnostic.js';
import { DURATION_RE, formatDuration, MAX_DURATION_MS, parseDuration } from '../../policy/duration.js';
import { displayPath, type YamlPath } from '../../yaml/yaml-path.js';
import { asMapping, mapping, type ConfigDocContext } from './config-context.js';

const SECOND = 1000;
const DAY = 86_400_000;

function inRange(ctx: ConfigDocContext, path: YamlPath, v: unknown, min: number, max: number): Diagnostic[] {
  // the schema reports a wrong shape; this rule only judges the size
  if (typeof v !== 'string' || !DURATION_RE.test(v)) return [];
  const ms = parseDuration(v);
  if (ms !== null && ms >= min && ms <= max) return [];
  return [
    ctx.doc.diagnostic(
      path,
      'value',
      `${displayPath(path)} ${JSON.stringify(v)} is out of range (${formatDuration(min)} to ${formatDuration(max)})`,
    ),
  ];
}

/** resyncInterval: 1s to 10 years; hook timeouts: 1s to 1d. */
export function checkConfigDurations(ctx: ConfigDocContext): Diagnostic[] {
  const out = inRange(ctx, ['resyncInterval'], ctx.value.resyncInterval, SECOND, MAX_DURATION_MS);
  for (const [name, profile] of Object.entries(mapping(ctx.value, 'hooks'))) {
    out.push(...inRange(ctx, ['hooks', name, 'timeout'], asMapping(profile).timeout, SECOND, DAY));
  }
  return out;
}
