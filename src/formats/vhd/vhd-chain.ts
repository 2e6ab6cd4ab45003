import { realpath } from 'node:fs/promises';
import { FormatError } from '../../errors.js';
import { withFile } from '../file-access.js';
import { readVhdLayout, type VhdLayout } from './vhd-info.js';
import { resolveVhdParent, vhdParentCandidates } from './vhd-parent.js';
import { formatUuid } from './vhd-footer.js';

/** One member of a VHD chain: its path and decoded layout. */
export interface VhdChainMember {
  path: string;
  layout: VhdLayout;
}

export const MAX_CHAIN_DEPTH = 64;

/**
 * Reads a chain from `leafPath` down to its root (index 0 is the leaf). Always: each parent
 * exists, its footer UUID and size match what its child records, no file appears twice.
 * Anything else is a FormatError naming the child whose link is broken.
 */
export async function readVhdChain(leafPath: string): Promise<VhdChainMember[]> {
  const chain: VhdChainMember[] = [];
  const seen = new Set<string>();
  let path: string | null = leafPath;
  while (path) {
    const real = await realpath(path).catch(() => path!);
    const child = chain[chain.length - 1];
    if (seen.has(real)) throw new FormatError(child!.path, `parent chain loops back to ${path}`);
    if (chain.length >= MAX_CHAIN_DEPTH) throw new FormatError(leafPath, `chain deeper than ${MAX_CHAIN_DEPTH}`);
    seen.add(real);
    const layout = await withFile(path, (f) => readVhdLayout(f));
    if (child) checkLink(child, path, layout);
    chain.push({ path, layout });
    path = nextParent(path, layout);
  }
  return chain;
}

function nextParent(path: string, layout: VhdLayout): string | null {
  if (layout.info.diskType !== 'differencing') return null;
  const parent = resolveVhdParent(path, layout.info);
  if (!parent) {
    const tried = vhdParentCandidates(path, layout.info);
    throw new FormatError(path, `parent not found (locators name ${tried.length ? tried.join(', ') : 'nothing'})`);
  }
  return parent;
}

/**
 * Throws when `parent` is not the image the child was made against: its UUID, as blktap checks
 * it (tapdisk vhd_validate_parent, vhd-util check), and its size. The parent timestamp is not
 * compared: blktap records the parent file's mtime there (vhd_snapshot) and never checks it,
 * so chains made on a Xen host rarely match the parent's footer timestamp.
 */
export function checkLink(child: VhdChainMember, parentPath: string, parent: VhdLayout): void {
  const want = child.layout.info;
  const uuid = formatUuid(parent.footer.uuid);
  if (uuid !== want.parentUuid) {
    throw new FormatError(child.path, `parent ${parentPath} has UUID ${uuid}, the child expects ${want.parentUuid}`);
  }
  if (parent.info.currentSize !== want.currentSize) {
    throw new FormatError(child.path, `parent ${parentPath} is ${parent.info.currentSize} bytes, the child ${want.currentSize}`);
  }
}
