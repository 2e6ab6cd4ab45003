import type { Command } from '../command.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check policy files',
  help: 'usage: xensnap validate [PATH...]\n',
  async run(ctx) {
    ctx.stderr.write('validate: not built yet\n');
    return 1;
  },
};
