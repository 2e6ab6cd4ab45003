import type { Diagnostic } from '../../model/diagnostic.js';
import type { SourceLocation } from '../../model/policy.js';

/** A policy name and where it is written (the metadata.name value). */
export interface NamedAt {
  name: string;
  at: SourceLocation;
}

/**
 * Policy names are unique across all files. The second and later definitions each get a
 * diagnostic naming the first; returns the indexes of the entries to drop.
 */
export function checkUniqueNames(entries: NamedAt[]): { diagnostics: Diagnostic[]; duplicates: Set<number> } {
  const first = new Map<string, SourceLocation>();
  const diagnostics: Diagnostic[] = [];
  const duplicates = new Set<number>();
  entries.forEach((e, i) => {
    const prev = first.get(e.name);
    if (!prev) {
      first.set(e.name, e.at);
      return;
    }
    duplicates.add(i);
    diagnostics.push({
      ...e.at,
      path: '/metadata/name',
      message: `duplicate policy name ${JSON.stringify(e.name)} (also defined at ${prev.file}:${prev.line}:${prev.col})`,
    });
  });
  return { diagnostics, duplicates };
}
