import { UserInputError } from '../../errors.js';
import { parseCommandArgs, type CommandOptions } from '../parse-command-args.js';

/**
 * parseArgs for a one-off command: exactly `positionals.length` positionals named as given,
 * errors prefixed with the command name.
 */
export function parseOneOff<O extends CommandOptions>(command: string, args: string[], options: O, positionals: string[]) {
  const parsed = parseCommandArgs(command, args, options, true);
  if (parsed.positionals.length !== positionals.length) throw new UserInputError(`${command}: expected ${positionals.join(' ')}`);
  return { values: parsed.values, positionals: parsed.positionals };
}
