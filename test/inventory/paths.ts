import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/inventory). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = resolve(REPO, 'test/fixtures/xen');
export const STUBS = resolve(REPO, 'test/stubs');
