import { realpath } from 'node:fs/promises';
import { FormatError } from '../../errors.js';
import { readVhdChain } from './vhd-chain.js';
import { VhdImage } from './vhd-image.js';
import { mergeVhdBlocks, type MergeResult } from './vhd-merge.js';
import { relinkVhd } from './vhd-relink.js';

export type MergeProgress = (done: number, total: number) => void;

async function withImages<T>(paths: [string, boolean][], fn: (imgs: VhdImage[]) => Promise<T>): Promise<T> {
  const imgs: VhdImage[] = [];
  try {
    for (const [p, w] of paths) imgs.push(await VhdImage.open(p, w));
    return await fn(imgs);
  } finally {
    for (const i of imgs) await i.close();
  }
}

/**
 * vhd-util coalesce: writes every sector `childPath` holds into its parent (the child's sectors
 * win). The parent's UUID and timestamp stay, so the child's link stays valid; the parent's
 * content changes, so every other child of that parent changes too — only for hidden parents.
 */
export async function coalesceVhd(childPath: string, progress?: MergeProgress): Promise<MergeResult> {
  const chain = await readVhdChain(childPath);
  if (chain.length < 2) throw new FormatError(childPath, 'not a differencing disk: nothing to coalesce into');
  return withImages([[childPath, false], [chain[1]!.path, true]], ([c, p]) => mergeVhdBlocks(c!, p!, { winner: 'source', progress }));
}

/**
 * Removes `frozenPath` (F) from the chain P ← F ← C without changing C's content or P's: copies
 * into C the sectors F holds that C does not override, then re-links C to P (or makes C a root
 * when F was the root). F itself is left on disk for the caller to unlink.
 * Crash safety: until the re-link, every copied sector equals what C already read through F.
 */
export async function streamVhdIntoChild(frozenPath: string, childPath: string, progress?: MergeProgress): Promise<MergeResult> {
  const chain = await readVhdChain(childPath);
  if (chain.length < 2) throw new FormatError(childPath, `not a differencing disk, so ${frozenPath} is not its parent`);
  const f = chain[1]!;
  const [a, b] = await Promise.all([realpath(f.path), realpath(frozenPath)]);
  if (a !== b) throw new FormatError(childPath, `parent is ${f.path}, not ${frozenPath}`);
  const grand = chain[2]?.path ?? null;
  const result = await withImages([[f.path, false], [childPath, true]], ([src, dst]) => mergeVhdBlocks(src!, dst!, { winner: 'target', progress }));
  await relinkVhd(childPath, grand);
  return result;
}

/** The copy half of streamVhdIntoChild (no re-link), for callers that journal each half. */
export async function streamVhdSectors(frozenPath: string, childPath: string, progress?: MergeProgress): Promise<MergeResult> {
  return withImages([[frozenPath, false], [childPath, true]], ([src, dst]) => mergeVhdBlocks(src!, dst!, { winner: 'target', progress }));
}
