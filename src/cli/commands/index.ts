import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { listCommand } from './list.js';
import { planCommand } from './plan.js';
import { applyCommand } from './apply.js';
import { labCommand } from './lab.js';
import { simulateCommand } from './simulate.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { revertCommand } from './revert.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { pinCommand, unpinCommand } from './pin.js';
import { recoverCommand } from './recover.js';

/**
 * Every command of the CLI contract, in DESIGN.md's help order; `lab` (the demo and test lab) last.
 */
export const commands: Command[] = [
  validateCommand, planCommand, applyCommand, runCommand, listCommand, revertCommand,
  createCommand, deleteCommand, pinCommand, unpinCommand, recoverCommand, simulateCommand, statusCommand,
  labCommand,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
