import { pathExists } from '../util/path-exists.js';
import * as img from '../backends/qdisk/qemu-img.js';
import type { JournalFile } from '../journal/read-journals.js';

/** What a journal's work left on disk: files its steps name that exist, and tags still in their images. */
export interface Leftovers {
  files: string[];
  tags: { image: string; tag: string }[];
}

function walk(v: unknown, out: { paths: Set<string>; tags: Set<string> }, holder: string | null): void {
  if (typeof v === 'string') {
    if (v.startsWith('/')) out.paths.add(v);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x) => walk(x, out, holder));
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  const image = [o.image, o.leaf, o.path].find((x): x is string => typeof x === 'string' && x.startsWith('/')) ?? holder;
  for (const k of ['tag', 'name', 'snapshot', 'preRevert']) {
    const t = o[k];
    if (typeof t === 'string' && image) out.tags.add(JSON.stringify([image, t]));
  }
  for (const x of Object.values(o)) walk(x, out, image);
}

/**
 * Everything a journal names that is still on disk: paths in its begin line and its steps that
 * exist, and the internal tags they name that the named qcow2 images still hold. Read-only; what
 * the operator resolving it by hand must look at.
 */
export async function journalLeftovers(f: JournalFile): Promise<Leftovers> {
  const found = { paths: new Set<string>(), tags: new Set<string>() };
  if (f.kind === 'begun') {
    walk(f.op, found, null);
    for (const s of f.steps) walk(s.detail, found, null);
  }
  const files: string[] = [];
  for (const p of [...found.paths].sort()) if (await pathExists(p)) files.push(p);
  const tags: Leftovers['tags'] = [];
  for (const entry of [...found.tags].sort()) {
    const [image, tag] = JSON.parse(entry) as [string, string];
    if (!files.includes(image) || !/\.qcow2$/.test(image)) continue;
    const names: string[] = await img.info(image, { format: 'qcow2', shareRw: true }).then((i) => i.snapshots.map((s) => s.name), () => []);
    if (names.includes(tag)) tags.push({ image, tag });
  }
  return { files, tags };
}
