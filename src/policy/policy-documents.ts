import type { Diagnostic } from '../model/diagnostic.js';
import type { Policy } from '../model/policy.js';
import { parseYamlDocuments } from '../yaml/parse-yaml-documents.js';
import { schemaDiagnostics } from '../yaml/schema-diagnostics.js';
import { schemaValidator } from '../yaml/schema-validator.js';
import { normalisePolicy } from './normalise-policy.js';
import type { PolicyDocContext } from './rules/doc-context.js';
import { checkHooks } from './rules/hooks-rule.js';
import { checkRetention } from './rules/retention-rule.js';
import { checkSchedule } from './rules/schedule-rule.js';
import { checkSelector } from './rules/selector-rule.js';
import { checkTimezone } from './rules/timezone-rule.js';
import type { NamedAt } from './rules/unique-names.js';

export const POLICY_SCHEMA_FILE = 'snapshot-policy.schema.json';

/** Options shared by parsePolicyText and loadPolicies. */
export interface PolicyCheckOptions {
  /** Hook profiles of the host config; when given, spec.hooks must name one of them. */
  hookProfiles?: { names: string[]; configFile: string } | null;
}

/** The semantic rules, run after the schema on every document (each reads defensively). */
const RULES: Array<(ctx: PolicyDocContext) => Diagnostic[]> = [
  checkSchedule,
  checkTimezone,
  checkRetention,
  checkSelector,
  checkHooks,
];

/**
 * A document with a well-formed name, and where the name is written (for the cross-file
 * uniqueness rule); `policy` is null when the document has other problems.
 */
export interface PolicyEntry extends NamedAt {
  policy: Policy | null;
}

/** Every valid policy document of one text, and the diagnostics of the others. No uniqueness check. */
export function policyDocuments(text: string, file: string, opts: PolicyCheckOptions = {}): { entries: PolicyEntry[]; diagnostics: Diagnostic[] } {
  const stream = parseYamlDocuments(text, file);
  const diagnostics = [...stream.diagnostics];
  const entries: PolicyEntry[] = [];
  if (stream.empty) {
    diagnostics.push({ file, line: 1, col: 1, path: '', message: 'empty file: expected at least one SnapshotPolicy document' });
  }
  const validate = schemaValidator(POLICY_SCHEMA_FILE);
  for (const doc of stream.documents) {
    const isMapping = doc.value !== null && typeof doc.value === 'object' && !Array.isArray(doc.value);
    if (isMapping && !('apiVersion' in (doc.value as object)) && !('kind' in (doc.value as object))) {
      // some other YAML (a host config, an inventory): one clear line instead of a key-by-key list
      const at = doc.start;
      const message = 'not a policy: no apiVersion or kind (expected apiVersion: xensnap.dev/v1, kind: SnapshotPolicy)';
      diagnostics.push({ file, line: at.line, col: at.col, path: '', message });
      continue;
    }
    const found = schemaDiagnostics(validate(doc.value), doc);
    if (isMapping) {
      const ctx: PolicyDocContext = { doc, value: doc.value as Record<string, unknown>, hookProfiles: opts.hookProfiles ?? null };
      for (const rule of RULES) found.push(...rule(ctx));
    }
    diagnostics.push(...found);
    const name = (doc.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    // a name the schema refused takes no part in the uniqueness check
    if (typeof name !== 'string' || found.some((d) => d.path === '/metadata/name')) continue;
    const start = doc.start;
    const policy = found.length ? null : normalisePolicy(doc.value, { file, line: start.line, col: start.col });
    const at = doc.positionOf(['metadata', 'name'], 'value');
    entries.push({ policy, name, at: { file, line: at.line, col: at.col } });
  }
  return { entries, diagnostics };
}
