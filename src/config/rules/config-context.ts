import type { YamlDocument } from '../../yaml/yaml-document.js';

/** What a host-config rule sees: the schema-checked document, read defensively. */
export interface ConfigDocContext {
  doc: YamlDocument;
  value: Record<string, unknown>;
}

/** The mapping at `key`, or an empty one when it is absent or not a mapping. */
export function mapping(obj: unknown, key: string): Record<string, unknown> {
  return asMapping(obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined);
}

/** The value as a mapping, or an empty one when it is not a mapping. */
export function asMapping(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
