import { Composer, isScalar, LineCounter, Parser, visit, type Document } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import { formatByteCap, YAML_LIMITS } from './limits.js';
import { findExcessiveNesting } from './nesting-depth.js';
import { positionOfOffset } from './text-position.js';
import { YamlDocument } from './yaml-document.js';

/** Every non-empty document of a YAML stream that parsed cleanly, and every problem found. */
export interface ParsedYamlStream {
  documents: YamlDocument[];
  diagnostics: Diagnostic[];
  /** True when the stream holds no document at all (empty, or only comments). */
  empty: boolean;
}

/**
 * Parses a multi-document YAML text with positions. Pure: no file system. Guards, in order:
 * size cap, NUL bytes, nesting depth (on the CST, before the recursive composer runs), YAML
 * errors (syntax, tabs as indentation, duplicate keys — with yaml's own positions), and
 * alias expansion (yaml's maxAliasCount). A document with any problem yields diagnostics only.
 */
export function parseYamlDocuments(input: string, file: string): ParsedYamlStream {
  // a leading byte-order mark is invisible in editors: drop it so columns match theirs
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const fail = (offset: number, message: string): ParsedYamlStream => {
    const p = positionOfOffset(text, offset);
    return { documents: [], empty: false, diagnostics: [{ file, line: p.line, col: p.col, path: '', message }] };
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > YAML_LIMITS.maxBytes) {
    const cap = YAML_LIMITS.maxBytes;
    return fail(0, `file is too large (${bytes} bytes); the limit is ${cap} bytes (${formatByteCap(cap)})`);
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) return fail(nul, `binary file (NUL byte at offset ${nul}); expected UTF-8 text`);

  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = findExcessiveNesting(tokens, YAML_LIMITS.maxDepth);
  if (deep !== null) return fail(deep, `nesting is deeper than ${YAML_LIMITS.maxDepth} levels`);

  const composer = new Composer({ uniqueKeys: true, prettyErrors: false });
  const docs = [...composer.compose(tokens, false, text.length)];
  const out: ParsedYamlStream = { documents: [], diagnostics: [], empty: true };
  const diag = (offset: number, message: string) => {
    const p = lines.linePos(offset);
    out.diagnostics.push({ file, line: p.line, col: p.col, path: '', message });
  };
  for (const doc of docs) {
    if (isEmptyDocument(doc) && doc.errors.length === 0) continue;
    out.empty = false;
    if (doc.errors.length) {
      for (const e of doc.errors) diag(e.pos[0], yamlErrorMessage(e.code, e.message, keyTextAt(text, e.pos[0])));
      continue;
    }
    const value = toValue(doc, diag);
    if (value.ok) out.documents.push(new YamlDocument(file, value.value, doc, lines));
  }
  // errors outside any document (e.g. a stray directive) still belong to the file
  for (const e of composer.streamInfo().errors) {
    out.empty = false;
    diag(e.pos[0], yamlErrorMessage(e.code, e.message, ''));
  }
  return out;
}

function toValue(doc: Document.Parsed, diag: (offset: number, message: string) => void): { ok: boolean; value?: unknown } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }) };
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const unresolved = /Unresolved alias/.test(msg);
    // point at the first alias (for a bomb) or at the first alias naming no anchor
    let at = doc.contents?.range[0] ?? 0;
    visit(doc, {
      Alias(_k, node) {
        if (!node.range || (unresolved && node.resolve(doc) !== undefined)) return undefined;
        at = node.range[0];
        return visit.BREAK;
      },
    });
    if (/Excessive alias count/.test(msg)) {
      diag(at, `YAML: aliases expand too much (limit ${YAML_LIMITS.maxAliasCount}); an alias bomb?`);
    } else if (unresolved) {
      diag(at, 'YAML: alias names no anchor defined before it');
    } else diag(at, `YAML: ${msg}`);
    return { ok: false };
  }
}

/** yaml's messages, with the common ones made plainer. Tabs and duplicates keep yaml's position. */
function yamlErrorMessage(code: string, message: string, source: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'YAML: tab character used for indentation (use spaces)';
    case 'DUPLICATE_KEY':
      return source ? `YAML: duplicate key ${source}` : 'YAML: duplicate key';
    default:
      return `YAML: ${first}`;
  }
}

/** The source text of a mapping key starting at `offset` (quoted keys keep their quotes). */
function keyTextAt(text: string, offset: number): string {
  const m = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\n#]+?)[ \t]*:(?:[ \t\n]|$)/.exec(text.slice(offset, offset + 200));
  if (!m) return '';
  const key = m[1]!;
  return key.startsWith('"') || key.startsWith("'") ? key : JSON.stringify(key);
}

/** No content at all: `---` followed by nothing or only comments (an explicit `~` is content). */
function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.value === null && c.range[0] === c.range[1]);
}
