import type { YamlDocument } from '../../yaml/yaml-document.js';

/** What a semantic rule sees: one schema-checked document, read defensively (it may still be partly wrong). */
export interface PolicyDocContext {
  doc: YamlDocument;
  /** The document's value as a plain object (empty when it is not a mapping). */
  value: Record<string, unknown>;
  /** Hook profile names of the host config, or null when validating without one. */
  hookProfiles: { names: string[]; configFile: string } | null;
}

/** obj[key] when obj is a mapping, else undefined: rules read documents the schema may have refused. */
export function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}
