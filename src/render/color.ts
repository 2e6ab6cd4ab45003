/** ANSI styles, applied only when the caller asked for colour (the CLI decides from isTTY/NO_COLOR). */
export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const plain = (s: string) => s;

export function paint(color: boolean): Paint {
  if (!color) return { green: plain, red: plain, yellow: plain, dim: plain, bold: plain, cyan: plain };
  return { green: wrap('32'), red: wrap('31'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1'), cyan: wrap('36') };
}

/** Whether to colour a stream: a TTY, and NO_COLOR unset or empty (no-color.org). */
export function wantColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}
