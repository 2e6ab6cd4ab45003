#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands, findCommand } from './commands/index.js';
import type { CommandContext } from './command.js';
import { reportError } from './report-error.js';
import { packageInfo } from './package-info.js';

const DEFAULT_CONFIG = '/etc/xensnap/config.yaml';

function usage(): string {
  const listed = commands.filter((c) => !c.hidden);
  const width = Math.max(...listed.map((c) => c.name.length));
  const lines = listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: xensnap [--config FILE] COMMAND [ARGS...]',
    '',
    'Keeps the snapshots of Xen domains the way YAML policies say they should be.',
    '',
    'commands:',
    ...lines,
    '',
    'global options:',
    `  --config FILE  host config (default $XENSNAP_CONFIG, then ${DEFAULT_CONFIG})`,
    '  -h, --help     this help; `xensnap help COMMAND` for one command',
    '  --version      print the version',
    '',
  ].join('\n');
}

/** Parses global options, dispatches, and maps errors to exit codes (only here). */
export async function main(argv: string[], io: Pick<CommandContext, 'stdout' | 'stderr' | 'env'>): Promise<number> {
  const args = [...argv];
  let configPath = io.env.XENSNAP_CONFIG || DEFAULT_CONFIG;
  let configExplicit = Boolean(io.env.XENSNAP_CONFIG);
  // global options come before the command name; --config is also accepted after it
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a.startsWith('--config=')) {
      const v = a === '--config' ? args[++i] : a.slice('--config='.length);
      if (!v) {
        io.stderr.write('xensnap: --config needs a file\n');
        return 1;
      }
      configPath = v;
      configExplicit = true;
    } else rest.push(a);
  }
  const [name, ...cmdArgs] = rest;
  if (name === '--version') {
    io.stdout.write(`xensnap ${packageInfo().version}\n`);
    return 0;
  }
  if (!name || name === '-h' || name === '--help') {
    (name ? io.stdout : io.stderr).write(usage());
    return name ? 0 : 1;
  }
  if (name === 'help') {
    const target = cmdArgs[0];
    if (!target) {
      io.stdout.write(usage());
      return 0;
    }
    const cmd = findCommand(target);
    if (!cmd) {
      io.stderr.write(`xensnap: unknown command "${target}"\n`);
      return 1;
    }
    io.stdout.write(cmd.help);
    return 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    io.stderr.write(`xensnap: unknown command "${name}"; see xensnap --help\n`);
    return 1;
  }
  if (cmdArgs.includes('-h') || cmdArgs.includes('--help')) {
    io.stdout.write(cmd.help);
    return 0;
  }
  // `--json` means JSON on stdout for failures too, with the same exit code
  const json = cmd.json === true && cmdArgs.some((a) => a === '--json');
  try {
    return await cmd.run({ ...io, args: cmdArgs, configPath, configExplicit });
  } catch (err) {
    const report = reportError(err);
    if (json) io.stdout.write(JSON.stringify(report.json, null, 2) + '\n');
    else io.stderr.write(`${report.text}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]!) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // a reader that goes away (`xensnap list | head`) is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
