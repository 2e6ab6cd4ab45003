import { sortDiagnostics, type Diagnostic } from '../model/diagnostic.js';
import type { Policy } from '../model/policy.js';
import { policyDocuments, type PolicyCheckOptions } from './policy-documents.js';
import { checkUniqueNames } from './rules/unique-names.js';

/**
 * Parses and validates the policy documents of one text (pure: no file system, no clock).
 * `policies` holds the valid documents, normalised; every problem is a diagnostic. Names must
 * be unique within the text (the first definition wins). Never throws on user input.
 */
export function parsePolicyText(
  text: string,
  file: string,
  opts: PolicyCheckOptions = {},
): { policies: Policy[]; diagnostics: Diagnostic[] } {
  const { entries, diagnostics } = policyDocuments(text, file, opts);
  const unique = checkUniqueNames(entries);
  return {
    policies: entries.flatMap((e, i) => (e.policy && !unique.duplicates.has(i) ? [e.policy] : [])),
    diagnostics: sortDiagnostics([...diagnostics, ...unique.diagnostics]),
  };
}
