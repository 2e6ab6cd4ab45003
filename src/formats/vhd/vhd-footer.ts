import { FormatError } from '../../errors.js';

export const SECTOR = 512;
export const FOOTER_SIZE = 512;
export const HEADER_SIZE = 1024;
export const UNUSED = 0xffffffff;
/** VHD timestamps count seconds from 2000-01-01T00:00:00Z. */
export const VHD_EPOCH_MS = Date.UTC(2000, 0, 1);
export const DISK_TYPES = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' } as const;
export type VhdDiskType = 'fixed' | 'dynamic' | 'differencing';

/** A decoded hard disk footer. Always: checksum verified, sizes are safe integers. */
export interface VhdFooter {
  dataOffset: number | null; // null for fixed disks (all ones)
  timestamp: number;
  currentSize: number;
  originalSize: number;
  geometry: { cylinders: number; heads: number; sectors: number };
  diskType: VhdDiskType;
  uuid: Buffer; // 16 bytes
  hidden: boolean;
  /** The raw 512 bytes, for rewriting with one field changed. */
  raw: Buffer;
}

/** One's complement of the byte sum, with the checksum field (4 bytes at `at`) counted as zero. */
export function vhdChecksum(buf: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i++) if (i < at || i >= at + 4) sum += buf[i]!;
  return ~sum >>> 0;
}

/** Reads a big-endian u64 as a number; null when it does not fit a safe integer. */
export function readU64(buf: Buffer, at: number): number | null {
  const v = buf.readBigUInt64BE(at);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

export function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseFooter(file: string, buf: Buffer, where: string): VhdFooter {
  if (buf.length < FOOTER_SIZE) throw new FormatError(file, `${where}: footer is truncated`);
  if (buf.toString('latin1', 0, 8) !== 'conectix') throw new FormatError(file, `${where}: no VHD footer (cookie "conectix" missing)`);
  const stored = buf.readUInt32BE(64);
  const computed = vhdChecksum(buf, 64);
  if (stored !== computed) {
    throw new FormatError(file, `${where}: footer checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  }
  const type = buf.readUInt32BE(60);
  const diskType = DISK_TYPES[type as 2 | 3 | 4];
  if (!diskType) throw new FormatError(file, `${where}: unsupported disk type ${type}`);
  const allOnes = buf.readBigUInt64BE(16) === 0xffffffffffffffffn;
  const dataOffset = allOnes ? null : readU64(buf, 16);
  const currentSize = readU64(buf, 48);
  const originalSize = readU64(buf, 40);
  if (currentSize === null || originalSize === null || (!allOnes && dataOffset === null)) {
    throw new FormatError(file, `${where}: footer field out of range`);
  }
  if (currentSize % SECTOR !== 0) throw new FormatError(file, `${where}: disk size ${currentSize} is not a multiple of 512`);
  if (diskType !== 'fixed' && dataOffset === null) throw new FormatError(file, `${where}: ${diskType} disk without a dynamic header offset`);
  return {
    dataOffset,
    timestamp: buf.readUInt32BE(24),
    currentSize,
    originalSize,
    geometry: { cylinders: buf.readUInt16BE(56), heads: buf[58]!, sectors: buf[59]! },
    diskType,
    uuid: Buffer.from(buf.subarray(68, 84)),
    hidden: buf[85] === 1,
    raw: Buffer.from(buf.subarray(0, FOOTER_SIZE)),
  };
}

/** CHS geometry as the VHD 1.0 specification (appendix) computes it from the size. */
export function chsGeometry(size: number): { cylinders: number; heads: number; sectors: number } {
  let total = Math.floor(size / SECTOR);
  if (total > 65535 * 16 * 255) total = 65535 * 16 * 255;
  let spt: number;
  let heads: number;
  let cth: number;
  if (total >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(total / spt);
  } else {
    spt = 17;
    cth = Math.floor(total / spt);
    heads = Math.max(4, Math.floor((cth + 1023) / 1024));
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(total / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(total / spt);
    }
  }
  return { cylinders: Math.floor(cth / heads), heads, sectors: spt };
}

export interface FooterFields {
  diskType: VhdDiskType;
  currentSize: number;
  timestamp: number;
  uuid: Buffer;
  hidden?: boolean;
}

/** Builds a footer the way blktap does (creator "tap" 1.3, creator OS 0 as vhd_initialize_footer leaves it), checksum set. */
export function buildFooter(fields: FooterFields): Buffer {
  const b = Buffer.alloc(FOOTER_SIZE);
  b.write('conectix', 0, 'latin1');
  b.writeUInt32BE(2, 8);
  b.writeUInt32BE(0x00010000, 12);
  if (fields.diskType === 'fixed') b.writeBigUInt64BE(0xffffffffffffffffn, 16);
  else b.writeBigUInt64BE(BigInt(FOOTER_SIZE), 16);
  b.writeUInt32BE(fields.timestamp >>> 0, 24);
  b.write('tap\0', 28, 'latin1');
  b.writeUInt32BE(0x00010003, 32);
  b.writeBigUInt64BE(BigInt(fields.currentSize), 40);
  b.writeBigUInt64BE(BigInt(fields.currentSize), 48);
  const g = chsGeometry(fields.currentSize);
  b.writeUInt16BE(g.cylinders, 56);
  b[58] = g.heads;
  b[59] = g.sectors;
  b.writeUInt32BE(fields.diskType === 'fixed' ? 2 : fields.diskType === 'dynamic' ? 3 : 4, 60);
  fields.uuid.copy(b, 68, 0, 16);
  b[85] = fields.hidden ? 1 : 0;
  return resealFooter(b);
}

/** Recomputes the checksum of a footer buffer in place and returns it. */
export function resealFooter(b: Buffer): Buffer {
  b.writeUInt32BE(vhdChecksum(b, 64), 64);
  return b;
}

export function vhdTimestamp(date: Date): number {
  return Math.max(0, Math.floor((date.getTime() - VHD_EPOCH_MS) / 1000)) >>> 0;
}

/** The date a VHD timestamp (seconds since 2000-01-01 UTC) stands for. */
export function vhdDate(timestamp: number): Date {
  return new Date(VHD_EPOCH_MS + timestamp * 1000);
}
