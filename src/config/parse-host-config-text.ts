import { sortDiagnostics, type Diagnostic } from '../model/diagnostic.js';
import type { HostConfig } from '../model/host-config.js';
import { parseYamlDocuments } from '../yaml/parse-yaml-documents.js';
import { schemaDiagnostics } from '../yaml/schema-diagnostics.js';
import { schemaValidator } from '../yaml/schema-validator.js';
import { defaultHostConfig } from './default-host-config.js';
import { normaliseHostConfig } from './normalise-host-config.js';
import type { ConfigDocContext } from './rules/config-context.js';
import { checkConfigDurations } from './rules/durations-rule.js';
import { checkHookCommands } from './rules/hook-commands-rule.js';
import { checkHypervisor } from './rules/hypervisor-rule.js';
import { checkListen } from './rules/listen-rule.js';
import type { ConfigLocator } from './check-host-paths.js';

export const HOST_CONFIG_SCHEMA_FILE = 'host-config.schema.json';

const RULES: Array<(ctx: ConfigDocContext) => Diagnostic[]> = [checkConfigDurations, checkListen, checkHookCommands, checkHypervisor];

/**
 * Parses and validates a host config text (pure). An empty file (or only comments) means all
 * defaults. With any diagnostic, `config` is the plain defaults and must not be used to act.
 */
export function parseHostConfigText(text: string, file: string): { config: HostConfig; diagnostics: Diagnostic[]; locate: ConfigLocator } {
  const stream = parseYamlDocuments(text, file);
  const diagnostics = [...stream.diagnostics];
  if (stream.documents.length > 1) {
    const second = stream.documents[1]!.start;
    diagnostics.push({ file, line: second.line, col: second.col, path: '', message: 'the host config is one YAML document; found more' });
  }
  const doc = stream.documents[0];
  const locate: ConfigLocator = (path, message) =>
    doc ? doc.diagnostic(path, 'value', message) : { file, line: 1, col: 1, path: '', message };
  if (doc && doc.value !== null) {
    diagnostics.push(...schemaDiagnostics(schemaValidator(HOST_CONFIG_SCHEMA_FILE)(doc.value), doc));
    if (typeof doc.value === 'object' && !Array.isArray(doc.value)) {
      const ctx: ConfigDocContext = { doc, value: doc.value as Record<string, unknown> };
      for (const rule of RULES) diagnostics.push(...rule(ctx));
    }
  }
  if (diagnostics.length) return { config: defaultHostConfig(), diagnostics: sortDiagnostics(diagnostics), locate };
  return { config: normaliseHostConfig(doc?.value ?? {}, file), diagnostics: [], locate };
}
