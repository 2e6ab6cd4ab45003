import { createInterface } from 'node:readline/promises';
import { UserInputError } from '../errors.js';

/**
 * Asks "Apply? [y/N]" on a terminal. Without a terminal and without --yes it refuses: nothing
 * destructive ever runs because a script forgot to say so.
 */
export async function confirmOnTerminal(question: string, yes: boolean, io: { stdin?: NodeJS.ReadStream; stdout: NodeJS.WritableStream }): Promise<boolean> {
  if (yes) return true;
  const stdin = io.stdin ?? process.stdin;
  if (!stdin.isTTY) throw new UserInputError('refusing to change anything without a terminal to confirm on: pass --yes');
  const rl = createInterface({ input: stdin, output: io.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
