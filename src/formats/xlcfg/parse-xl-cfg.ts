import { type Diagnostic, sortDiagnostics } from '../../model/diagnostic.js';
import { lexXlCfg, type XlToken } from './xl-cfg-lexer.js';

/** A value of an xl.cfg setting, with the 1-based position of its first character. */
export type XlValue =
  | { kind: 'string'; value: string; line: number; col: number }
  | { kind: 'number'; value: number; text: string; line: number; col: number }
  | { kind: 'list'; items: XlValue[]; line: number; col: number };

/**
 * The result of parsing one xl.cfg file. `values` holds every setting that parsed (a later
 * assignment replaces an earlier one, as in xl; `+=` appends to a list or string);
 * `diagnostics` is empty exactly when the whole file is valid.
 */
export interface XlCfg {
  values: Record<string, XlValue>;
  /** Where each setting's name was written (last assignment). */
  keys: Record<string, { line: number; col: number }>;
  diagnostics: Diagnostic[];
}

class SyntaxProblem {
  constructor(readonly token: XlToken, readonly message: string | null) {}
}

function describe(t: XlToken): string {
  switch (t.kind) {
    case 'newline': return 'end of line';
    case 'eof': return 'end of file';
    case 'string': return `string ${t.text}`;
    case 'number': return `number ${t.text}`;
    case 'ident': return `name '${t.text}'`;
    default: return `'${t.text}'`;
  }
}

/**
 * Parses xl.cfg(5) syntax: `KEY = VALUE` (or `KEY += VALUE`) separated by newlines or `;`;
 * values are strings in single or double quotes, numbers, or lists `[ ... ]` that may span lines,
 * nest, and end with a trailing comma; `#` starts a comment outside strings. Never throws:
 * every problem is a Diagnostic with `file`, line and column, and parsing resumes at the next
 * statement.
 */
export function parseXlCfg(text: string, file: string): XlCfg {
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, col: number, message: string, path = '') => diagnostics.push({ file, line, col, path, message });
  const toks = lexXlCfg(text, (l, c, m) => report(l, c, m));
  const values: Record<string, XlValue> = Object.create(null);
  const keys: Record<string, { line: number; col: number }> = Object.create(null);
  let p = 0;
  // List nesting at the current token, so recovery knows whether a newline ends the statement.
  let nest = 0;
  const peek = () => toks[p]!;
  // Never moves past the final eof token, so every later peek() still sees it.
  const next = () => {
    const t = toks[p]!;
    if (t.kind !== 'eof') p++;
    return t;
  };
  const fail = (t: XlToken, message: string): never => {
    throw new SyntaxProblem(t, t.kind === 'bad' ? null : message);
  };
  const skipNewlines = () => {
    while (peek().kind === 'newline') p++;
  };

  function value(): XlValue {
    const t = next();
    if (t.kind === 'string') return { kind: 'string', value: t.value, line: t.line, col: t.col };
    if (t.kind === 'number') return { kind: 'number', value: t.value, text: t.text, line: t.line, col: t.col };
    if (t.kind !== '[') return fail(t, `expected a value (string, number or list), found ${describe(t)}`);
    const items: XlValue[] = [];
    nest++;
    skipNewlines();
    while (peek().kind !== ']') {
      items.push(value());
      skipNewlines();
      const sep = peek();
      if (sep.kind === ',') {
        p++;
        skipNewlines();
      } else if (sep.kind !== ']') {
        if (sep.kind === 'eof') fail(sep, `list opened at line ${t.line} col ${t.col} is never closed`);
        fail(sep, `expected ',' or ']' in list, found ${describe(sep)}`);
      }
    }
    p++;
    nest--;
    return { kind: 'list', items, line: t.line, col: t.col };
  }

  function assign(name: Extract<XlToken, { kind: 'ident' }>, op: '=' | '+=', v: XlValue): void {
    const old = values[name.text];
    if (op === '+=' && old) {
      if (old.kind === 'list' && v.kind === 'list') v = { ...old, items: [...old.items, ...v.items] };
      else if (old.kind === 'string' && v.kind === 'string') v = { ...old, value: old.value + v.value };
      else return void report(name.line, name.col, `'+=' needs a list or a string on both sides for '${name.text}'`, `/${name.text}`);
    }
    values[name.text] = v;
    keys[name.text] = { line: name.line, col: name.col };
  }

  // Resynchronise after an error: skip to the end of the statement, or to the next line that
  // starts a new `KEY =` (so one unclosed list does not swallow the rest of the file).
  function recover(): void {
    let depth = nest;
    for (;;) {
      const t = peek();
      if (t.kind === 'eof') return;
      p++;
      if (t.kind === '[') depth++;
      else if (t.kind === ']') depth--;
      else if ((t.kind === 'newline' || t.kind === ';') && depth <= 0) return;
      else if (t.kind === 'newline') {
        const a = peek();
        const b = toks[p + 1];
        if (a.kind === 'ident' && b && (b.kind === '=' || b.kind === '+=')) return;
      }
    }
  }

  while (peek().kind !== 'eof') {
    const t = peek();
    if (t.kind === 'newline' || t.kind === ';') {
      p++;
      continue;
    }
    nest = 0;
    try {
      const name = next();
      if (name.kind !== 'ident') fail(name, `expected a setting name (KEY = VALUE), found ${describe(name)}`);
      const op = next();
      if (op.kind !== '=' && op.kind !== '+=') fail(op, `expected '=' after '${name.text}', found ${describe(op)}`);
      const v = value();
      const end = peek();
      if (end.kind !== 'newline' && end.kind !== ';' && end.kind !== 'eof') {
        fail(end, `expected end of line or ';' after the value of '${name.text}', found ${describe(end)}`);
      }
      assign(name as Extract<XlToken, { kind: 'ident' }>, op.kind as '=' | '+=', v);
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      if (e.message !== null) report(e.token.line, e.token.col, e.message);
      // The failing token may itself end the statement: do not skip past the next one.
      if (e.token.kind === 'newline' || e.token.kind === ';') p = toks.indexOf(e.token) + 1;
      else recover();
    }
  }
  return { values, keys, diagnostics: sortDiagnostics(diagnostics) };
}
