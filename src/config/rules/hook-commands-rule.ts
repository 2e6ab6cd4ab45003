import type { Diagnostic } from '../../model/diagnostic.js';
import { asMapping, mapping, type ConfigDocContext } from './config-context.js';

/**
 * A hook command is a path (absolute, or relative to the config file), never a bare name:
 * xensnap runs as root, and a PATH lookup would run whatever PATH finds first.
 */
export function checkHookCommands(ctx: ConfigDocContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, profile] of Object.entries(mapping(ctx.value, 'hooks'))) {
    for (const phase of ['pre', 'post'] as const) {
      const argv = asMapping(profile)[phase];
      if (!Array.isArray(argv) || typeof argv[0] !== 'string' || argv[0] === '' || argv[0].includes('/')) continue;
      out.push(
        ctx.doc.diagnostic(
          ['hooks', name, phase, 0],
          'value',
          `hooks.${name}.${phase}[0] ${JSON.stringify(argv[0])} must be a path to the program (like /usr/local/sbin/${argv[0]}), not a name looked up in PATH`,
        ),
      );
    }
  }
  return out;
}
