/**
 * Tokenizer for xl.cfg(5) files. Kept apart from the grammar so the string and number rules
 * (the parts xl users trip over) can be read on their own.
 */

/** One token. `line`/`col` are 1-based and point at the token's first character. */
export type XlToken =
  | { kind: 'ident'; text: string; line: number; col: number }
  | { kind: 'number'; text: string; value: number; line: number; col: number }
  | { kind: 'string'; text: string; value: string; line: number; col: number }
  | { kind: '=' | '+=' | '[' | ']' | ',' | ';' | 'newline' | 'eof'; text: string; line: number; col: number }
  /** A lexical error already reported through `report`; the parser only resynchronises. */
  | { kind: 'bad'; text: string; line: number; col: number };

export type LexReport = (line: number, col: number, message: string) => void;

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"', "'": "'", '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/**
 * Decodes the inside of a quoted string the way xl does: C escapes (\a \b \f \n \r \t \v \\ \' \"),
 * \xHH with exactly two hex digits, and \o..\ooo octal. Returns an error message or the value.
 */
function dequote(body: string): { value: string } | { error: string; at: number } {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[i + 1] ?? '';
    const start = i;
    let code: number;
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i++;
      continue;
    } else if (e === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: 'invalid \\x escape in quoted string (needs two hex digits)', at: start };
      code = parseInt(hex, 16);
      i += 3;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      code = parseInt(oct, 8);
      if (code > 0xff) return { error: `invalid octal escape '\\${oct}' in quoted string`, at: start };
      i += oct.length;
    } else {
      return { error: `invalid escape '\\${e}' in quoted string`, at: start };
    }
    // xl strings are C strings: a NUL would silently cut the value short there.
    if (code === 0) return { error: 'null character in quoted string', at: start };
    out += String.fromCharCode(code);
  }
  return { value: out };
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_.]/;

/** Splits `text` into tokens. Never throws; lexical errors go to `report` and yield a `bad` token. */
export function lexXlCfg(text: string, report: LexReport): XlToken[] {
  const tokens: XlToken[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  while (i < text.length) {
    const c = text[i]!;
    const col = i - lineStart + 1;
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: '\n', line, col });
      i++;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '+' && text[i + 1] === '=') {
      tokens.push({ kind: '+=', text: '+=', line, col });
      i += 2;
    } else if (c === '=' || c === '[' || c === ']' || c === ',' || c === ';') {
      tokens.push({ kind: c, text: c, line, col });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' && text[j + 1] !== '\n' ? 2 : 1;
      if (j >= text.length || text[j] !== c) {
        report(line, col, 'unterminated string');
        tokens.push({ kind: 'bad', text: text.slice(i, j), line, col });
        i = j;
        continue;
      }
      const raw = text.slice(i, j + 1);
      const d = dequote(text.slice(i + 1, j));
      if ('error' in d) {
        report(line, col + 1 + d.at, d.error);
        tokens.push({ kind: 'bad', text: raw, line, col });
      } else {
        tokens.push({ kind: 'string', text: raw, value: d.value, line, col });
      }
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j]!)) j++;
      const raw = text.slice(i, j);
      const value = numberValue(raw);
      if (value === null) {
        report(line, col, `malformed number '${raw}'`);
        tokens.push({ kind: 'bad', text: raw, line, col });
      } else {
        tokens.push({ kind: 'number', text: raw, value, line, col });
      }
      i = j;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_CHAR.test(text[j]!)) j++;
      tokens.push({ kind: 'ident', text: text.slice(i, j), line, col });
      i = j;
    } else {
      const cp = String.fromCodePoint(text.codePointAt(i)!);
      report(line, col, `unexpected character '${cp}'`);
      tokens.push({ kind: 'bad', text: cp, line, col });
      i += cp.length;
    }
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

/** Decimal, octal (leading 0) or hexadecimal (0x) integers as strtol reads them; decimal fractions. */
function numberValue(raw: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(raw)) return parseInt(raw.slice(2), 16);
  if (/^0[0-7]+$/.test(raw)) return parseInt(raw.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(raw)) return Number(raw);
  if (/^[0-9]+\.[0-9]+$/.test(raw)) return Number(raw);
  return null;
}
