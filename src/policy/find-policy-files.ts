import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { describeFsError } from '../yaml/read-text-file.js';

/** Policy files inside directories: *.yaml and *.yml. Hidden entries (.git, .swp…) are skipped. */
export const POLICY_FILE_RE = /\.ya?ml$/i;

/**
 * Expands files and directories (recursively, following symlinks) into a sorted list of
 * policy files. A symlink leading back to a directory being walked is reported, not followed;
 * a file reached twice (two paths, or a symlink) is listed once. Never throws.
 */
export async function findPolicyFiles(paths: string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const seenReal = new Set<string>();
  const report = (file: string, message: string) => diagnostics.push({ file, line: 1, col: 1, path: '', message });

  const addFile = async (p: string, out: string[]) => {
    const real = await realpath(p).catch(() => p);
    if (seenReal.has(real)) return;
    seenReal.add(real);
    out.push(p);
  };

  const walk = async (dir: string, ancestors: Map<string, string>, out: string[]): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      report(dir, `cannot read directory: ${describeFsError(err)}`);
      return;
    }
    for (const ent of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (ent.name.startsWith('.')) continue;
      const p = join(dir, ent.name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = await stat(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // a dangling link only matters when it looks like a policy file; a loop always does
          if (code === 'ELOOP' || POLICY_FILE_RE.test(ent.name)) report(p, `cannot read: ${describeFsError(err)}`);
          continue;
        }
      }
      if (isDir) {
        const real = await realpath(p).catch(() => null);
        if (real === null) {
          report(p, 'cannot resolve directory path');
          continue;
        }
        const loopsTo = ancestors.get(real);
        if (loopsTo !== undefined) {
          report(p, `symlink loop: leads back to ${loopsTo}, not followed`);
          continue;
        }
        await walk(p, new Map(ancestors).set(real, p), out);
      } else if (isFile && POLICY_FILE_RE.test(ent.name)) {
        await addFile(p, out);
      }
    }
  };

  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      report(p, `cannot read: ${describeFsError(err)}`);
      continue;
    }
    if (st.isDirectory()) {
      const real = await realpath(p).catch(() => p);
      const found: string[] = [];
      await walk(p, new Map([[real, p]]), found);
      files.push(...found.sort());
    } else {
      // an explicitly named file is read whatever its extension; readTextFile refuses non-files
      await addFile(p, files);
    }
  }
  return { files, diagnostics };
}
