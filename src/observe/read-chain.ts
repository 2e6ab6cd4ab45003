import type { ChainMember, InternalSnapshotInfo } from '../model/observed.js';
import type { ImageReader } from './image-reader.js';

/** Deeper chains than this are reported as broken (XenServer keeps them under 30). */
export const MAX_CHAIN_LENGTH = 256;

/** A disk's chain, leaf first, with the leaf's internal snapshots and any problem found walking it. */
export interface ChainReading {
  chain: ChainMember[];
  internal: InternalSnapshotInfo[];
  /** mtime of each chain member, by path. */
  mtimes: Map<string, number>;
  /** `error`: what the reader threw, when a read failed (callers that must not go on rethrow it). */
  problems: { kind: 'chain-error' | 'corrupt-image'; message: string; error?: Error }[];
}

/** Walks backing/parent links from the leaf; detects loops, missing files and corrupt images. */
export async function readChain(leaf: string, leafFormat: string, reader: ImageReader): Promise<ChainReading> {
  const result: ChainReading = { chain: [], internal: [], mtimes: new Map(), problems: [] };
  const seen = new Set<string>();
  let path: string | null = leaf;
  let format: string | null = leafFormat;
  while (path !== null) {
    if (result.chain.length >= MAX_CHAIN_LENGTH) {
      result.problems.push({ kind: 'chain-error', message: `${leaf}: chain longer than ${MAX_CHAIN_LENGTH} images` });
      break;
    }
    let facts;
    try {
      facts = await reader.read(path, format);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') {
        const who = result.chain.length ? `backing file of ${result.chain[result.chain.length - 1]!.path}` : 'leaf';
        result.problems.push({ kind: 'chain-error', message: `${path}: missing (${who})`, error: e });
      } else {
        result.problems.push({ kind: 'corrupt-image', message: e.message, error: e });
      }
      break;
    }
    const identity = `${facts.inode.dev}:${facts.inode.ino}`;
    if (seen.has(identity)) {
      result.problems.push({ kind: 'chain-error', message: `${path}: backing chain loops back to an image already in the chain of ${leaf}` });
      break;
    }
    seen.add(identity);
    result.chain.push({
      path,
      format: facts.format,
      virtualSize: facts.virtualSize,
      allocatedBytes: facts.allocatedBytes,
      backing: facts.backing,
      ...(facts.internal.length ? { internal: facts.internal } : {}),
      ...(facts.links !== undefined ? { links: facts.links } : {}),
    });
    result.mtimes.set(path, facts.mtimeMs);
    if (result.chain.length === 1) result.internal = facts.internal;
    path = facts.backing;
    format = facts.backingFormat;
  }
  return result;
}
