/**
 * Hard limits on policy and host-config files. They keep a hostile or broken file from
 * exhausting memory or the stack; real files are a few kilobytes and a few levels deep.
 */
export const YAML_LIMITS = {
  /** Largest file accepted, checked with stat before reading: 1 MiB. */
  maxBytes: 1024 * 1024,
  /** yaml's maxAliasCount: bounds alias expansion (billion-laughs style alias bombs). */
  maxAliasCount: 100,
  /** Deepest nesting of mappings and lists accepted. A policy needs 4 levels. */
  maxDepth: 32,
} as const;

export function formatByteCap(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
