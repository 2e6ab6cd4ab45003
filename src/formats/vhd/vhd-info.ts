import { FormatError } from '../../errors.js';
import type { FileAccess } from '../file-access.js';
import { FOOTER_SIZE, HEADER_SIZE, SECTOR, UNUSED, formatUuid, parseFooter, type VhdDiskType, type VhdFooter } from './vhd-footer.js';
import { decodeUtf16, parseHeader, type VhdHeader } from './vhd-header.js';
import { BATMAP_HEADER_SIZE, batmapExpected, batmapHeaderOffset, batmapHeaderValid, batmapMapBytes, parseBatmapHeader, withBatmapMap, type VhdBatmap } from './vhd-batmap.js';

/** A parent locator, decoded: `path` uses `/` separators; MacX has its `file://` prefix removed. */
export interface VhdParentLocator {
  code: 'W2ku' | 'W2ru' | 'MacX' | string;
  path: string;
}

/**
 * What a VHD says about itself. Always: checksums of footer (and dynamic header) verified, the
 * BAT and every allocated block lie inside the file. Sizes in bytes; timestamps in VHD seconds
 * (since 2000-01-01 UTC). Parent fields only for differencing disks.
 */
export interface VhdInfo {
  diskType: VhdDiskType;
  currentSize: number;
  uuid: string;
  timestamp: number;
  hidden: boolean;
  blockSize: number;
  maxBatEntries: number;
  batOffset: number;
  allocatedBlocks: number;
  parentUuid?: string;
  parentTimestamp?: number;
  parentName?: string;
  parentLocators: VhdParentLocator[];
}

/** Everything the reader decoded, for the writer and checker. */
export interface VhdLayout {
  info: VhdInfo;
  footer: VhdFooter;
  header: VhdHeader | null;
  bat: Uint32Array;
  fileSize: number;
  footerOffset: number;
  /** Bytes per block's sector bitmap, padded to a sector. */
  bitmapSize: number;
  /** blktap's batmap, when the image has a valid one. */
  batmap: VhdBatmap | null;
  /** Why an image blktap expects a batmap of has none it accepts (then `batmap` is null). */
  batmapProblem: string | null;
}

const MAX_LOCATOR = 64 * 1024;

export async function readVhdInfo(f: FileAccess): Promise<VhdInfo> {
  return (await readVhdLayout(f)).info;
}

export async function readVhdLayout(f: FileAccess): Promise<VhdLayout> {
  const file = f.name;
  const fileSize = await f.size();
  if (fileSize < FOOTER_SIZE) throw new FormatError(file, `file too short for a VHD (${fileSize} bytes)`);
  const footerOffset = fileSize - FOOTER_SIZE;
  const footer = parseFooter(file, await f.read(footerOffset, FOOTER_SIZE), 'footer at end of file');
  const base = { diskType: footer.diskType, currentSize: footer.currentSize, uuid: formatUuid(footer.uuid), timestamp: footer.timestamp, hidden: footer.hidden };
  if (footer.diskType === 'fixed') {
    if (footer.currentSize !== footerOffset) {
      throw new FormatError(file, `fixed disk of ${footer.currentSize} bytes needs a ${footer.currentSize + FOOTER_SIZE}-byte file, found ${fileSize}`);
    }
    const info: VhdInfo = { ...base, blockSize: 0, maxBatEntries: 0, batOffset: 0, allocatedBlocks: 0, parentLocators: [] };
    return { info, footer, header: null, bat: new Uint32Array(0), fileSize, footerOffset, bitmapSize: 0, batmap: null, batmapProblem: null };
  }
  const dataOffset = footer.dataOffset!;
  if (dataOffset + HEADER_SIZE > footerOffset) throw new FormatError(file, `dynamic header offset ${dataOffset} lies beyond the end of the file`);
  const header = parseHeader(file, await f.read(dataOffset, HEADER_SIZE));
  const needed = Math.ceil(footer.currentSize / header.blockSize);
  if (header.maxBatEntries < needed) {
    throw new FormatError(file, `BAT has ${header.maxBatEntries} entries, the disk size needs ${needed}`);
  }
  const batBytes = header.maxBatEntries * 4;
  if (header.batOffset < FOOTER_SIZE || header.batOffset + batBytes > footerOffset) {
    throw new FormatError(file, `BAT (${header.maxBatEntries} entries at offset ${header.batOffset}) lies beyond the end of the file`);
  }
  const batBuf = await f.read(header.batOffset, batBytes);
  const bat = new Uint32Array(header.maxBatEntries);
  const bitmapSize = Math.ceil(header.blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  let allocated = 0;
  for (let i = 0; i < bat.length; i++) {
    const e = batBuf.readUInt32BE(i * 4);
    bat[i] = e;
    if (e === UNUSED) continue;
    if (i >= needed) throw new FormatError(file, `BAT entry ${i} is allocated beyond the disk size`);
    if (e * SECTOR + bitmapSize + header.blockSize > footerOffset) {
      throw new FormatError(file, `BAT entry ${i} points beyond the end of the file (sector ${e})`);
    }
    if (e * SECTOR < header.batOffset + batBytes && e * SECTOR + bitmapSize + header.blockSize > dataOffset) {
      throw new FormatError(file, `BAT entry ${i} overlaps the VHD metadata (sector ${e})`);
    }
    allocated++;
  }
  const info: VhdInfo = {
    ...base,
    blockSize: header.blockSize,
    maxBatEntries: header.maxBatEntries,
    batOffset: header.batOffset,
    allocatedBlocks: allocated,
    parentLocators: [],
  };
  if (footer.diskType === 'differencing') {
    info.parentUuid = formatUuid(header.parentUuid);
    info.parentTimestamp = header.parentTimestamp;
    info.parentName = header.parentName;
    // only MacX, W2ku and W2ru name a parent (vhd_parent_locator_read); others are not read
    for (const l of header.locators.filter((x) => x.code === 'MacX' || x.code === 'W2ku' || x.code === 'W2ru')) {
      if (l.length > MAX_LOCATOR || l.offset + l.length > footerOffset) {
        throw new FormatError(file, `parent locator ${l.index} (${l.code}) lies beyond the end of the file`);
      }
      info.parentLocators.push({ code: l.code, path: decodeLocator(l.code, await f.read(l.offset, l.length)) });
    }
  }
  const { batmap, batmapProblem } = await readBatmap(f, footer, header, footerOffset);
  return { info, footer, header, bat, fileSize, footerOffset, bitmapSize, batmap, batmapProblem };
}

/** The batmap as blktap reads it (vhd_has_batmap, vhd_read_batmap); problems are reported, not thrown. */
async function readBatmap(f: FileAccess, footer: VhdFooter, header: VhdHeader, footerOffset: number): Promise<{ batmap: VhdBatmap | null; batmapProblem: string | null }> {
  const expected = batmapExpected(footer);
  if (expected === 'no') return { batmap: null, batmapProblem: null };
  const at = batmapHeaderOffset(header);
  const raw = at + BATMAP_HEADER_SIZE <= footerOffset ? await f.read(at, BATMAP_HEADER_SIZE) : Buffer.alloc(0);
  if (expected === 'maybe' && !batmapHeaderValid(raw)) return { batmap: null, batmapProblem: null };
  try {
    const h = parseBatmapHeader(f.name, at, raw, footer.currentSize, footerOffset);
    return { batmap: withBatmapMap(f.name, h, await f.read(h.offset, batmapMapBytes(footer.currentSize))), batmapProblem: null };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { batmap: null, batmapProblem: e.message.slice(`${f.name}: `.length) };
  }
}

function decodeLocator(code: string, data: Buffer): string {
  let s: string;
  if (code === 'W2ku' || code === 'W2ru') s = decodeUtf16(data, 'le').replace(/\\/g, '/');
  else s = data.toString('utf8');
  s = s.replace(/\0+$/, '');
  if (code === 'MacX' && s.startsWith('file://')) s = s.slice('file://'.length);
  return s;
}
