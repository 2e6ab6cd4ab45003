import type { Diagnostic } from '../../model/diagnostic.js';
import { field, type PolicyDocContext } from './doc-context.js';

/** True when the runtime's IANA database knows the zone (Intl throws RangeError otherwise). */
export function isValidTimezone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** spec.timezone must be an IANA zone the runtime knows. */
export function checkTimezone(ctx: PolicyDocContext): Diagnostic[] {
  const tz = field(ctx.value.spec, 'timezone');
  if (typeof tz !== 'string' || isValidTimezone(tz)) return [];
  return [
    ctx.doc.diagnostic(
      ['spec', 'timezone'],
      'value',
      `unknown timezone ${JSON.stringify(tz)} (expected an IANA name like Europe/Paris or UTC)`,
    ),
  ];
}
