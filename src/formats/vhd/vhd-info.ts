import { FormatError } from '../../errors.js';
import type { FileAccess } from '../file-access.js';
import { FOOTER_SIZE, HEADER_SIZE, SECTOR, UNUSED, formatUuid, parseFooter, type VhdDiskType, type VhdFooter } from './vhd-footer.js';
import { decodeUtf16, parseHeader, type VhdHeader } from './vhd-header.js';

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
    return { info, footer, header: null, bat: new Uint32Array(0), fileSize, footerOffset, bitmapSize: 0 };
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
    for (const l of header.locators) {
      if (l.length > MAX_LOCATOR || l.offset + l.length > footerOffset) {
        throw new FormatError(file, `parent locator ${l.index} (${l.code}) lies beyond the end of the file`);
      }
      info.parentLocators.push({ code: l.code, path: decodeLocator(l.code, await f.read(l.offset, l.length)) });
    }
  }
  return { info, footer, header, bat, fileSize, footerOffset, bitmapSize };
}

function decodeLocator(code: string, data: Buffer): string {
  let s: string;
  if (code === 'W2ku' || code === 'W2ru') s = decodeUtf16(data, 'le').replace(/\\/g, '/');
  else s = data.toString('utf8');
  s = s.replace(/\0+$/, '');
  if (code === 'MacX' && s.startsWith('file://')) s = s.slice('file://'.length);
  return s;
}
