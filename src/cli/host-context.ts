import type { CommandContext } from './command.js';
import type { HostConfig } from '../model/host-config.js';
import { loadHostConfig } from '../config/load-host-config.js';
import { UserInputError } from '../errors.js';

export { observeHost } from '../observe/observe-host.js';

/** Loads the host config named by the command line / environment; a bad one is a UserInputError. */
export async function loadConfigFor(ctx: CommandContext): Promise<HostConfig> {
  const { config, diagnostics } = await loadHostConfig(ctx.configPath, { mustExist: ctx.configExplicit });
  if (diagnostics.length) throw new UserInputError(`invalid host config ${ctx.configPath}`, diagnostics);
  return config;
}
