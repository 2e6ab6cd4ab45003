/** A UUID as libxl and QEMU print it: 8-4-4-4-12 hex digits. */
export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Domain names xensnap accepts as part of a state-folder key (`name-<name>`): letters, digits,
 * dot, dash, underscore; no leading dot or dash, so never `.`, `..` or an option-like word.
 * The one definition: the inventory makes keys with it, the state layer checks keys with it.
 */
export const DOMAIN_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
