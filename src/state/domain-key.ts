import { UserInputError } from '../errors.js';

const UUID_KEY_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** `name-` and a domain name of letters, digits, '.', '_', '-' (not starting with '.' or '-'). */
const NAME_KEY_RE = /^name-[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/**
 * True when `key` is a state-folder key: a UUID, or `name-<domain name>`. Such a key is always
 * a single safe path component: never empty, `.`, `..`, nor containing `/` or NUL.
 */
export function isDomainKey(key: string): boolean {
  return UUID_KEY_RE.test(key) || NAME_KEY_RE.test(key);
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
