import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserInputError } from '../errors.js';

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs (strict) for one command; a bad argument is a UserInputError prefixed with the command. */
export function parseCommandArgs<O extends CommandOptions>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UserInputError(`${command}: ${(err as Error).message}`);
  }
}
