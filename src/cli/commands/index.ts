import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { placeholderCommands } from './placeholders.js';

/**
 * Every command of the CLI contract, in help order. Commands not built yet come from
 * placeholders.ts and say so when run (exit 1); replace the entry when a command lands.
 */
export const commands: Command[] = [validateCommand, ...placeholderCommands];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
