import { FormatError } from '../../errors.js';
import { HEADER_SIZE, SECTOR, readU64, vhdChecksum } from './vhd-footer.js';

/** A parent locator entry as stored in the dynamic header (data not yet read). */
export interface LocatorEntry {
  index: number;
  code: string;
  /** Bytes reserved for the data (the spec says sectors; some writers store bytes). */
  spaceBytes: number;
  length: number;
  offset: number;
}

/** A decoded dynamic disk header. Always: checksum verified, block size a power of two. */
export interface VhdHeader {
  batOffset: number;
  maxBatEntries: number;
  blockSize: number;
  parentUuid: Buffer;
  parentTimestamp: number;
  parentName: string;
  locators: LocatorEntry[];
  raw: Buffer;
}

export const MAX_BLOCK_SIZE = 256 * 1024 * 1024;
export const LOCATOR_AT = 576;
export const LOCATOR_COUNT = 8;

/** blktap's tolerance: data space is sectors per the spec, but values ≥ 512 are bytes. */
function locatorSpace(v: number): number {
  if (v < 512) return v * SECTOR;
  return v % SECTOR === 0 ? v : 0;
}

export function parseHeader(file: string, buf: Buffer): VhdHeader {
  if (buf.length < HEADER_SIZE) throw new FormatError(file, 'dynamic header is truncated');
  if (buf.toString('latin1', 0, 8) !== 'cxsparse') throw new FormatError(file, 'no dynamic header (cookie "cxsparse" missing)');
  const stored = buf.readUInt32BE(36);
  const computed = vhdChecksum(buf.subarray(0, HEADER_SIZE), 36);
  if (stored !== computed) {
    throw new FormatError(file, `dynamic header checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  }
  const batOffset = readU64(buf, 16);
  if (batOffset === null) throw new FormatError(file, 'BAT offset out of range');
  const blockSize = buf.readUInt32BE(32);
  if (blockSize < SECTOR || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw new FormatError(file, `invalid block size ${blockSize}`);
  }
  const nameBytes = buf.subarray(64, 576);
  let end = 0;
  while (end + 1 < nameBytes.length && (nameBytes[end] !== 0 || nameBytes[end + 1] !== 0)) end += 2;
  const parentName = decodeUtf16(nameBytes.subarray(0, end), 'be');
  const locators: LocatorEntry[] = [];
  for (let i = 0; i < LOCATOR_COUNT; i++) {
    const at = LOCATOR_AT + i * 24;
    const codeNum = buf.readUInt32BE(at);
    if (codeNum === 0) continue;
    const offset = readU64(buf, at + 16);
    if (offset === null) throw new FormatError(file, `parent locator ${i}: offset out of range`);
    locators.push({
      index: i,
      code: buf.toString('latin1', at, at + 4),
      spaceBytes: locatorSpace(buf.readUInt32BE(at + 4)),
      length: buf.readUInt32BE(at + 8),
      offset,
    });
  }
  return {
    batOffset,
    maxBatEntries: buf.readUInt32BE(28),
    blockSize,
    parentUuid: Buffer.from(buf.subarray(40, 56)),
    parentTimestamp: buf.readUInt32BE(56),
    parentName,
    locators,
    raw: Buffer.from(buf.subarray(0, HEADER_SIZE)),
  };
}

export function decodeUtf16(b: Buffer, order: 'be' | 'le'): string {
  const n = b.length & ~1;
  const le = Buffer.alloc(n);
  for (let i = 0; i < n; i += 2) {
    le[i] = order === 'le' ? b[i]! : b[i + 1]!;
    le[i + 1] = order === 'le' ? b[i + 1]! : b[i]!;
  }
  return le.toString('utf16le');
}

export function encodeUtf16(s: string, order: 'be' | 'le'): Buffer {
  const b = Buffer.from(s, 'utf16le');
  if (order === 'be') b.swap16();
  return b;
}

/** Parent fields and locators to store in a header (locator data written separately). */
export interface HeaderParent {
  uuid: Buffer;
  timestamp: number;
  name: string;
  locators: { code: string; spaceBytes: number; length: number; offset: number }[];
}

export function buildHeader(opts: { batOffset: number; maxBatEntries: number; blockSize: number; parent?: HeaderParent }): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.write('cxsparse', 0, 'latin1');
  b.writeBigUInt64BE(0xffffffffffffffffn, 8);
  b.writeBigUInt64BE(BigInt(opts.batOffset), 16);
  b.writeUInt32BE(0x00010000, 24);
  b.writeUInt32BE(opts.maxBatEntries, 28);
  b.writeUInt32BE(opts.blockSize, 32);
  if (opts.parent) setHeaderParent(b, opts.parent);
  return resealHeader(b);
}

/** Writes the parent fields into a raw header (clearing old ones); call resealHeader after. */
export function setHeaderParent(b: Buffer, parent: HeaderParent | null): void {
  b.fill(0, 40, 576);
  b.fill(0, LOCATOR_AT, LOCATOR_AT + LOCATOR_COUNT * 24);
  if (!parent) return;
  parent.uuid.copy(b, 40, 0, 16);
  b.writeUInt32BE(parent.timestamp >>> 0, 56);
  const name = encodeUtf16(parent.name, 'be');
  if (name.length > 512) throw new RangeError(`parent name too long: ${parent.name}`);
  name.copy(b, 64);
  parent.locators.forEach((l, i) => {
    const at = LOCATOR_AT + i * 24;
    b.write(l.code, at, 'latin1');
    // bytes, not the sectors the specification names: what blktap writes (and reads back)
    b.writeUInt32BE(l.spaceBytes, at + 4);
    b.writeUInt32BE(l.length, at + 8);
    b.writeBigUInt64BE(BigInt(l.offset), at + 16);
  });
}

export function resealHeader(b: Buffer): Buffer {
  b.writeUInt32BE(vhdChecksum(b, 36), 36);
  return b;
}
