import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { FormatError } from '../../errors.js';
import { withFile } from '../file-access.js';
import { FOOTER_SIZE, HEADER_SIZE, SECTOR, buildFooter, vhdTimestamp } from './vhd-footer.js';
import { buildHeader, type HeaderParent } from './vhd-header.js';
import { readVhdLayout } from './vhd-info.js';
import { locatorSpace, parentLocatorData, parentNameFor } from './vhd-locators.js';
import { BATMAP_HEADER_SIZE, BATMAP_VERSION, batmapHeaderOffset, batmapMapBytes, batmapSizeSectors, buildBatmapHeader } from './vhd-batmap.js';

export const DEFAULT_BLOCK_SIZE = 2 * 1024 * 1024;

export interface CreateVhdOptions {
  /** Defaults to a random UUID. */
  uuid?: string;
  /** Defaults to now. */
  date?: Date;
  hidden?: boolean;
}

export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/**
 * Creates a dynamic VHD of exactly `size` bytes (a multiple of 512) laid out as `vhd-util create`
 * lays it out: footer copy at 0, dynamic header, BAT of 0xFFFFFFFF entries, an empty batmap,
 * footer at the end. Refuses an existing path. Synced.
 */
export async function createDynamicVhd(path: string, size: number, opts: CreateVhdOptions = {}): Promise<void> {
  await writeEmpty(path, size, 'dynamic', opts, null);
}

/**
 * Creates an empty differencing child of `parentPath` at `path`: same size, parent UUID and
 * timestamp from the parent's footer, the parent's file name (UTF-16BE, ASCII only as blktap
 * decodes it), and MacX/W2ku/W2ru locators relative to the child as `vhd-util snapshot` writes them. Refuses an existing path. Synced.
 */
export async function createDifferencingVhd(path: string, parentPath: string, opts: CreateVhdOptions = {}): Promise<void> {
  const p = await withFile(parentPath, (f) => readVhdLayout(f));
  const blockSize = p.info.diskType === 'fixed' ? DEFAULT_BLOCK_SIZE : p.info.blockSize;
  await writeEmpty(path, p.info.currentSize, 'differencing', opts, { parentPath, uuid: p.footer.uuid, timestamp: p.info.timestamp }, blockSize);
}

async function writeEmpty(
  path: string,
  size: number,
  diskType: 'dynamic' | 'differencing',
  opts: CreateVhdOptions,
  parent: { parentPath: string; uuid: Buffer; timestamp: number } | null,
  blockSize = DEFAULT_BLOCK_SIZE,
): Promise<void> {
  if (!Number.isSafeInteger(size) || size <= 0 || size % SECTOR) throw new RangeError(`VHD size must be a positive multiple of 512, got ${size}`);
  const maxBat = Math.ceil(size / blockSize);
  const batOffset = FOOTER_SIZE + HEADER_SIZE;
  // blktap's layout: BAT (padded to a sector), batmap header, batmap, parent locators, footer.
  const batmapAt = batmapHeaderOffset({ batOffset, maxBatEntries: maxBat });
  const batmap = { offset: batmapAt + BATMAP_HEADER_SIZE, sizeSectors: batmapSizeSectors(maxBat, size), version: BATMAP_VERSION, map: Buffer.alloc(batmapMapBytes(size)) };
  let end = batmap.offset + batmap.sizeSectors * SECTOR;
  let hp: HeaderParent | undefined;
  const locData = parent ? parentLocatorData(path, parent.parentPath) : [];
  if (parent) {
    hp = { uuid: parent.uuid, timestamp: parent.timestamp, name: parentNameFor(parent.parentPath), locators: [] };
    for (const l of locData) {
      const space = locatorSpace(l.data);
      hp.locators.push({ code: l.code, spaceBytes: space, length: l.data.length, offset: end });
      end += space;
    }
  }
  const footer = buildFooter({
    diskType,
    currentSize: size,
    timestamp: vhdTimestamp(opts.date ?? new Date()),
    uuid: uuidBytes(opts.uuid ?? randomUUID()),
    hidden: opts.hidden ?? false,
  });
  const buf = Buffer.alloc(end + FOOTER_SIZE);
  footer.copy(buf, 0);
  buildHeader({ batOffset, maxBatEntries: maxBat, blockSize, parent: hp }).copy(buf, FOOTER_SIZE);
  buf.fill(0xff, batOffset, batOffset + maxBat * 4);
  buildBatmapHeader(batmap).copy(buf, batmapAt);
  hp?.locators.forEach((l, i) => locData[i]!.data.copy(buf, l.offset));
  footer.copy(buf, end);
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(buf);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
