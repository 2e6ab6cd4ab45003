/** What every command gets: its arguments after the command name, and the global options. */
export interface CommandContext {
  args: string[];
  /** --config FILE, else $XENSNAP_CONFIG, else /etc/xensnap/config.yaml. */
  configPath: string;
  /** true when --config or $XENSNAP_CONFIG named the file explicitly. */
  configExplicit: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** A subcommand. `run` returns the exit code; errors it throws are mapped by main. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text: usage line(s), then options. */
  help: string;
  /** Not listed in `xensnap --help`. */
  hidden?: boolean;
  /** Accepts `--json`: a failure is then printed as JSON on stdout (cli/report-error.ts). */
  json?: boolean;
  run(ctx: CommandContext): Promise<number>;
}
