import { sortDiagnostics, type Diagnostic } from '../model/diagnostic.js';
import type { Policy } from '../model/policy.js';
import { readTextFile } from '../yaml/read-text-file.js';
import { findPolicyFiles } from './find-policy-files.js';
import { policyDocuments, type PolicyCheckOptions, type PolicyEntry } from './policy-documents.js';
import { checkUniqueNames } from './rules/unique-names.js';

/**
 * Loads and validates every policy under the given files and directories (see
 * findPolicyFiles). Reads only; never writes; never throws on user input. `policies` holds
 * the valid documents, normalised, in file order; `diagnostics` are sorted; `files` lists the
 * policy files found (read or not).
 */
export async function loadPolicies(
  paths: string[],
  opts: PolicyCheckOptions = {},
): Promise<{ policies: Policy[]; diagnostics: Diagnostic[]; files: string[] }> {
  const found = await findPolicyFiles(paths);
  const diagnostics: Diagnostic[] = [...found.diagnostics];
  const entries: PolicyEntry[] = [];
  for (const file of found.files) {
    const read = await readTextFile(file);
    if (!read.ok) {
      diagnostics.push(read.diagnostic);
      continue;
    }
    const parsed = policyDocuments(read.text, file, opts);
    entries.push(...parsed.entries);
    diagnostics.push(...parsed.diagnostics);
  }
  const unique = checkUniqueNames(entries);
  diagnostics.push(...unique.diagnostics);
  return {
    policies: entries.flatMap((e, i) => (e.policy && !unique.duplicates.has(i) ? [e.policy] : [])),
    diagnostics: sortDiagnostics(diagnostics),
    files: found.files,
  };
}
