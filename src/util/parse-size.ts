/**
 * Byte sizes as operators write them, in one system: IEC binary prefixes (KiB, MiB, GiB, TiB,
 * and the bare K, M, G, T that qemu-img and ls -h use) are powers of 1024; SI ones (kB, MB,
 * GB, TB) are powers of 1000, as their names say. `B` or nothing is bytes. Case-insensitive.
 */
const FACTORS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

/** Whole bytes, or null when `text` is not a size like `50MB`, `1.5GiB`, `64M`, `4096`. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return null;
  const factor = FACTORS[m[2]!.toLowerCase()];
  return factor === undefined ? null : Math.round(Number(m[1]) * factor);
}
