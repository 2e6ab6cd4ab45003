import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserInputError } from '../../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs for a one-off command: exactly `positionals.length` positionals named as given,
 * errors prefixed with the command name.
 */
export function parseOneOff<O extends Options>(command: string, args: string[], options: O, positionals: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options, strict: true });
  } catch (err) {
    throw new UserInputError(`${command}: ${(err as Error).message}`);
  }
  if (parsed.positionals.length !== positionals.length) throw new UserInputError(`${command}: expected ${positionals.join(' ')}`);
  return { values: parsed.values, positionals: parsed.positionals };
}
