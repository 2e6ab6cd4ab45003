import { DOMAIN_NAME_RE, UUID_RE } from '../model/domain-key-syntax.js';

export { DOMAIN_NAME_RE, UUID_RE } from '../model/domain-key-syntax.js';

/**
 * The state-folder key of a domain: its UUID (lower case) when the configuration fixes one,
 * otherwise `name-<name>`. Returns null when neither gives a safe path component.
 */
export function domainKey(uuid: string | null, name: string): string | null {
  if (uuid !== null) return UUID_RE.test(uuid) ? uuid.toLowerCase() : null;
  return DOMAIN_NAME_RE.test(name) ? `name-${name}` : null;
}
