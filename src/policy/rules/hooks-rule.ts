import type { Diagnostic } from '../../model/diagnostic.js';
import { field, type PolicyDocContext } from './doc-context.js';

/**
 * spec.hooks must name a hook profile of the host config, when one is given. Without a host
 * config only the name's shape is checked (by the schema).
 */
export function checkHooks(ctx: PolicyDocContext): Diagnostic[] {
  const name = field(ctx.value.spec, 'hooks');
  if (typeof name !== 'string' || !ctx.hookProfiles) return [];
  const { names, configFile } = ctx.hookProfiles;
  if (names.includes(name)) return [];
  const defined = names.length ? `defined: ${names.join(', ')}` : 'it defines none';
  return [
    ctx.doc.diagnostic(
      ['spec', 'hooks'],
      'value',
      `hook profile ${JSON.stringify(name)} is not defined in the host config ${configFile} (${defined})`,
    ),
  ];
}
