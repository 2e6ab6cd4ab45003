import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BugError } from '../errors.js';

// ajv is CommonJS; under NodeNext the class sits on `default`
const Ajv2020 = Ajv2020Module.default;

let ajv: InstanceType<typeof Ajv2020> | null = null;
const compiled = new Map<string, ValidateFunction>();

/**
 * Finds `policies/schema/<name>` by walking up from this module, so the same code works from
 * src/ (ts) and dist/src/ (compiled). The committed schema files are the single source of truth.
 */
export function schemaFilePath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'policies', 'schema', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new BugError(`schema file policies/schema/${name} not found above ${fileURLToPath(import.meta.url)}`);
}

/** A validator for one committed schema file: strict mode, every error at once. */
export function schemaValidator(name: string): (value: unknown) => ErrorObject[] {
  let fn = compiled.get(name);
  if (!fn) {
    ajv ??= new Ajv2020({ strict: true, allErrors: true, verbose: true });
    const schema = JSON.parse(readFileSync(schemaFilePath(name), 'utf8')) as object;
    fn = ajv.compile(schema);
    compiled.set(name, fn);
  }
  const validate: ValidateFunction = fn;
  return (value) => (validate(value) ? [] : [...(validate.errors ?? [])]);
}
