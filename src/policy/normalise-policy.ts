import type { DomainState, Policy, QuiesceMode, Retention, SourceLocation } from '../model/policy.js';
import { parseDuration } from './duration.js';
import { COUNT_RULES } from './rules/retention-rule.js';

const ALL_STATES: DomainState[] = ['running', 'paused', 'shutoff'];

/** The raw shape of a policy document that passed the schema and every rule. */
interface RawPolicy {
  metadata: { name: string; description?: string };
  spec: {
    selector: { names?: string[]; uuids?: string[]; exclude?: string[]; states?: DomainState[] };
    disks?: string[];
    schedule: string;
    timezone?: string;
    mode?: Policy['mode'];
    type?: Policy['type'];
    quiesce?: boolean | 'required';
    hooks?: string;
    retention: Record<string, number | string>;
    deletionPolicy?: Policy['deletionPolicy'];
  };
}

function quiesceMode(q: boolean | 'required' | undefined): QuiesceMode {
  return q === 'required' ? 'required' : q === true ? 'preferred' : 'off';
}

/** Fills every default. Only call with a document that has no diagnostics. */
export function normalisePolicy(value: unknown, source: SourceLocation): Policy {
  const raw = value as RawPolicy;
  const s = raw.spec;
  const retention: Retention = {};
  for (const k of COUNT_RULES) {
    const v = s.retention[k];
    if (typeof v === 'number') retention[k] = v;
  }
  if (typeof s.retention.keepWithin === 'string') retention.keepWithinMs = parseDuration(s.retention.keepWithin)!;
  return {
    name: raw.metadata.name,
    description: raw.metadata.description ?? '',
    selector: {
      names: [...(s.selector.names ?? [])],
      uuids: (s.selector.uuids ?? []).map((u) => u.toLowerCase()),
      exclude: [...(s.selector.exclude ?? [])],
      states: s.selector.states ? [...s.selector.states] : [...ALL_STATES],
    },
    disks: s.disks ? [...s.disks] : null,
    schedule: s.schedule.trim().split(/\s+/).join(' '),
    timezone: s.timezone ?? 'UTC',
    mode: s.mode ?? 'disk-only',
    type: s.type ?? 'external',
    quiesce: quiesceMode(s.quiesce),
    hooks: s.hooks ?? null,
    retention,
    deletionPolicy: s.deletionPolicy ?? 'Retain',
    source,
    revision: null,
  };
}
