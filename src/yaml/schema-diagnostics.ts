import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../model/diagnostic.js';
import type { PathTarget, YamlDocument } from './yaml-document.js';
import { describeValue, displayPath, fromPointer, type YamlPath } from './yaml-path.js';

/** Plain descriptions of the patterns our schemas use; anything else shows the pattern. */
const PATTERN_WORDS: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]{0,40}$': '1-41 lowercase letters, digits or "-", starting with a letter or digit',
  '^[0-9]+(s|m|h|d|w)$': 'a duration: a whole number followed by s, m, h, d or w (like 90m, 2h, 7d)',
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$':
    'a UUID like 3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10',
  '^[a-z0-9][a-z0-9_-]{0,62}$': '1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit',
  '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$': '1-32 letters, digits, "_" or "-" (a vdev like xvda)',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function patternWords(pattern: string): string {
  return PATTERN_WORDS[pattern] ?? `a string matching /${pattern}/`;
}

/** One ajv error as a message and the node it points at. */
function explain(e: ErrorObject): { path: YamlPath; target: PathTarget; message: string } {
  const path = fromPointer(e.instancePath);
  const where = displayPath(path);
  const inWhere = path.length ? ` in ${where}` : '';
  const p = e.params as Record<string, unknown>;
  const got = describeValue(e.data);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const props = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const near = props.find((k) => k.toLowerCase() === key.toLowerCase());
      const allowed = near ? `; did you mean ${JSON.stringify(near)}?` : props.length ? ` (allowed: ${props.join(', ')})` : '';
      return { path: [...path, key], target: 'key', message: `unknown key ${JSON.stringify(key)}${inWhere}${allowed}` };
    }
    case 'required':
      return { path, target: 'node', message: `missing required key ${JSON.stringify(String(p.missingProperty))}${inWhere}` };
    case 'propertyNames': {
      const name = String(p.propertyName);
      const pat = (e.schema as { pattern?: string })?.pattern;
      const rule = pat ? `: must be ${patternWords(pat)}` : '';
      return { path: [...path, name], target: 'key', message: `invalid name ${describeValue(name)}${inWhere}${rule}` };
    }
    case 'type':
      return { path, target: 'value', message: `${where} must be ${typeWords(p.type)} (got ${got})` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      return { path, target: 'value', message: `${where} must be one of: ${allowed} (got ${got})` };
    }
    case 'const':
      return { path, target: 'value', message: `unknown ${where} ${got} (expected ${JSON.stringify(p.allowedValue)})` };
    case 'pattern':
      return { path, target: 'value', message: `${where} must be ${patternWords(String(p.pattern))} (got ${got})` };
    case 'minimum':
      return { path, target: 'value', message: `${where} must be at least ${p.limit} (got ${got})` };
    case 'maximum':
      return { path, target: 'value', message: `${where} must be at most ${p.limit} (got ${got})` };
    case 'minItems':
      return { path, target: 'value', message: Number(p.limit) === 1 ? `${where} must not be empty` : `${where} needs at least ${p.limit} items` };
    case 'maxItems':
      return { path, target: 'value', message: `${where} has more than ${p.limit} items` };
    case 'minLength':
      return { path, target: 'value', message: `${where} must not be empty` };
    case 'maxLength':
      return { path, target: 'value', message: `${where} is longer than ${p.limit} characters` };
    case 'uniqueItems':
      return { path: [...path, Number(p.i)], target: 'value', message: `${where} lists the same item twice ([${p.j}] and [${p.i}])` };
    default:
      return { path, target: 'value', message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

/**
 * Turns ajv errors into diagnostics at the YAML node each one is about: an unknown key at the
 * key, a wrong value at the value, a missing key at the mapping that lacks it.
 */
export function schemaDiagnostics(errors: ErrorObject[], doc: YamlDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // a bad property name is reported once, by its propertyNames error
    if (e.schemaPath.includes('/propertyNames/')) continue;
    const x = explain(e);
    const d = doc.diagnostic(x.path, x.target, x.message);
    const k = `${d.line}:${d.col}:${d.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(d);
    }
  }
  return out;
}
