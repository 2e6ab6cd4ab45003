/** One line of /proc/self/mountinfo: the device (`major:minor`) and where it is mounted. */
export interface MountEntry {
  dev: string;
  /** Mount point, with the kernel's octal escapes (`\040` for a space) decoded. */
  mount: string;
  fstype: string;
}

/** Decodes the kernel's `\ooo` octal escapes (space, tab, newline, backslash in paths). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parses /proc/self/mountinfo (proc(5)): `id parent major:minor root mountpoint options
 * [optional fields...] - fstype source superoptions`. Lines that do not have that shape are
 * skipped: the file is the kernel's, and a line we cannot read only costs a mount name.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 7 || !/^\d+:\d+$/.test(f[2]!)) continue;
    const sep = f.indexOf('-', 6);
    if (sep < 0 || sep + 1 >= f.length) continue;
    out.push({ dev: f[2]!, mount: unescapeMountField(f[4]!), fstype: f[sep + 1]! });
  }
  return out;
}

/**
 * The mount point of `path` on device `dev`: among the entries of that device, the longest
 * mount point that contains `path` (bind mounts list one device several times); failing that,
 * any mount of the device; null when the device is not listed.
 */
export function mountPointFor(entries: readonly MountEntry[], dev: string, path: string): string | null {
  let best: string | null = null;
  let any: string | null = null;
  for (const e of entries) {
    if (e.dev !== dev) continue;
    any ??= e.mount;
    if (contains(e.mount, path) && (best === null || e.mount.length > best.length)) best = e.mount;
  }
  return best ?? any;
}

function contains(mount: string, path: string): boolean {
  if (mount === '/') return path.startsWith('/');
  return path === mount || path.startsWith(`${mount}/`);
}
