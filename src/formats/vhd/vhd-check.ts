import { realpath } from 'node:fs/promises';
import { FormatError } from '../../errors.js';
import { withFile } from '../file-access.js';
import { FOOTER_SIZE, HEADER_SIZE, SECTOR, UNUSED } from './vhd-footer.js';
import { readVhdLayout, type VhdLayout } from './vhd-info.js';
import type { FileAccess } from '../file-access.js';
import { allSet } from './vhd-bitmap.js';
import { BATMAP_HEADER_SIZE, batmapTest } from './vhd-batmap.js';
import { resolveVhdParent, vhdParentCandidates } from './vhd-parent.js';
import { checkLink, MAX_CHAIN_DEPTH } from './vhd-chain.js';

/**
 * vhd-util check, natively: every problem found in `path` and the chain below it, each as
 * "<file>: <problem>". Empty means the chain is sound. Never writes; never throws on bad images.
 */
export async function checkVhd(path: string): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  let cur: string | null = path;
  let child: { path: string; layout: VhdLayout } | null = null;
  while (cur) {
    const real: string = await realpath(cur).catch(() => cur!);
    if (seen.has(real)) {
      problems.push(`${child!.path}: parent chain loops back to ${cur}`);
      break;
    }
    if (seen.size >= MAX_CHAIN_DEPTH) {
      problems.push(`${path}: chain deeper than ${MAX_CHAIN_DEPTH}`);
      break;
    }
    seen.add(real);
    let layout: VhdLayout;
    try {
      layout = await withFile(cur, async (f) => {
        const l = await readVhdLayout(f);
        if (l.info.diskType !== 'fixed') problems.push(...(await footerCopyProblems(cur!, l, await f.read(0, FOOTER_SIZE))));
        problems.push(...(await batmapProblems(cur!, l, f)));
        return l;
      });
    } catch (e) {
      problems.push(describe(cur, e));
      break;
    }
    problems.push(...overlapProblems(cur, layout));
    if (child) {
      try {
        checkLink(child, cur, layout);
      } catch (e) {
        problems.push(describe(child.path, e));
      }
    }
    child = { path: cur, layout };
    if (layout.info.diskType !== 'differencing') break;
    cur = resolveVhdParent(cur, layout.info);
    if (!cur) problems.push(`${child.path}: parent not found (locators name ${vhdParentCandidates(child.path, layout.info).join(', ') || 'nothing'})`);
  }
  return problems;
}

function describe(file: string, e: unknown): string {
  if (e instanceof FormatError) return e.message;
  const err = e as NodeJS.ErrnoException;
  return `${file}: ${err.code === 'ENOENT' ? 'file not found' : err.message}`;
}

async function footerCopyProblems(file: string, l: VhdLayout, copy: Buffer): Promise<string[]> {
  return copy.equals(l.footer.raw) ? [] : [`${file}: footer copy at offset 0 differs from the footer at the end`];
}

/**
 * The batmap as blktap reads it, and its bits against the blocks: a set bit says the block holds
 * every sector (tapdisk then never reads its bitmap), so it must name an allocated block whose
 * bitmap is all ones. A clear bit for a full block is fine: blktap sets bits lazily.
 */
async function batmapProblems(file: string, l: VhdLayout, f: FileAccess): Promise<string[]> {
  if (l.batmapProblem) return [`${file}: ${l.batmapProblem}`];
  const bm = l.batmap;
  if (!bm) return [];
  const out: string[] = [];
  const blocks = Math.ceil(l.info.currentSize / l.info.blockSize);
  const spb = l.info.blockSize / SECTOR;
  for (let b = 0; b < Math.min(blocks, bm.map.length * 8); b++) {
    if (!batmapTest(bm, b)) continue;
    if (b >= blocks || l.bat[b] === UNUSED) {
      out.push(`${file}: batmap shows unallocated block ${b} full`);
      continue;
    }
    if (!allSet(await f.read(l.bat[b]! * SECTOR, l.bitmapSize), spb)) out.push(`${file}: batmap shows block ${b} full, but its bitmap is not`);
  }
  return out;
}

/** Allocated blocks must not overlap each other or the metadata (footer copy, header, BAT). */
function overlapProblems(file: string, l: VhdLayout): string[] {
  if (!l.header) return [];
  const out: string[] = [];
  const per = l.bitmapSize + l.info.blockSize;
  const ranges: [number, number, string][] = [
    [0, FOOTER_SIZE, 'footer copy'],
    [l.footer.dataOffset!, l.footer.dataOffset! + HEADER_SIZE, 'dynamic header'],
    [l.info.batOffset, l.info.batOffset + l.info.maxBatEntries * 4, 'BAT'],
  ];
  if (l.batmap) {
    ranges.push([l.batmap.headerOffset, l.batmap.headerOffset + BATMAP_HEADER_SIZE, 'batmap header']);
    ranges.push([l.batmap.offset, l.batmap.offset + l.batmap.sizeSectors * SECTOR, 'batmap']);
  }
  l.bat.forEach((e, i) => {
    if (e !== UNUSED) ranges.push([e * SECTOR, e * SECTOR + per, `block ${i}`]);
  });
  ranges.sort((a, b) => a[0] - b[0]);
  let [, end, endWhat] = ranges[0]!;
  for (const [s, e, what] of ranges.slice(1)) {
    if (s < end) out.push(`${file}: ${what} overlaps ${endWhat}`);
    if (e > end) [end, endWhat] = [e, what];
  }
  return out;
}
