import type { Diagnostic } from '../../model/diagnostic.js';
import { field, type PolicyDocContext } from './doc-context.js';

/** A selector must name something: at least one name glob or UUID. */
export function checkSelector(ctx: PolicyDocContext): Diagnostic[] {
  const sel = field(ctx.value.spec, 'selector');
  if (sel === null || typeof sel !== 'object' || Array.isArray(sel)) return [];
  const names = field(sel, 'names');
  const uuids = field(sel, 'uuids');
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (nonEmpty(names) || nonEmpty(uuids)) return [];
  // a wrongly typed list was reported by the schema already
  if ((names !== undefined && !Array.isArray(names)) || (uuids !== undefined && !Array.isArray(uuids))) return [];
  return [ctx.doc.diagnostic(['spec', 'selector'], 'node', 'spec.selector selects nothing; give at least one of names, uuids')];
}
