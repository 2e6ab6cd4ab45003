import { UserInputError } from '../errors.js';
import { DOMAIN_NAME_RE, UUID_RE as UUID_KEY_RE } from '../model/domain-key-syntax.js';

/** `name-` and a domain name as the inventory accepts it (model/domain-key-syntax.ts). */
const isNameKey = (key: string) => key.startsWith('name-') && DOMAIN_NAME_RE.test(key.slice(5));

/**
 * True when `key` is a state-folder key: a UUID, or `name-<domain name>`. Such a key is always
 * a single safe path component: never empty, `.`, `..`, nor containing `/` or NUL.
 */
export function isDomainKey(key: string): boolean {
  return UUID_KEY_RE.test(key) || isNameKey(key);
}

export function isUuidKey(key: string): boolean {
  return UUID_KEY_RE.test(key);
}

/** Throws UserInputError unless `key` is a valid state-folder key. */
export function checkDomainKey(key: string): void {
  if (!isDomainKey(key)) {
    throw new UserInputError(
      `invalid domain key ${JSON.stringify(key)}: expected a UUID or "name-" followed by a domain name of letters, digits, '.', '_' and '-'`,
    );
  }
}
