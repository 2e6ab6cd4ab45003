import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/policy/ (compiled) — fixtures are not copied to dist. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const POLICY_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'policy');
