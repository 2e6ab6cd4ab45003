// blktap's batmap ("tdbatmap"): one bit per block, set when the block holds every sector, so
// tapdisk serves it without consulting the block's sector bitmap. Layout (blktap v4.0.8
// include/vhd.h, vhd/lib/libvhd.c): a 512-byte header right after the sector-padded BAT, the map
// right after the header, the bits MSB first like sector bitmaps.
import { FormatError } from '../../errors.js';
import { testBit } from './vhd-bitmap.js';
import { SECTOR, type VhdFooter } from './vhd-footer.js';
import type { VhdHeader } from './vhd-header.js';

export const BATMAP_COOKIE = 'tdbatmap';
export const BATMAP_HEADER_SIZE = 512;
/** VHD_BATMAP_VERSION(1, 2): the byte checksum is over unsigned bytes (1.1 summed signed chars). */
export const BATMAP_VERSION = 0x00010002;
const BATMAP_VERSION_1_1 = 0x00010001;
const VERSION_0_1 = 0x00000001;
const VERSION_1_2 = 0x00010002;

/** A decoded batmap. Always: cookie and version valid, checksum verified, map inside the file. */
export interface VhdBatmap {
  headerOffset: number;
  /** Byte offset of the map. */
  offset: number;
  /** Space reserved for the map, in sectors. */
  sizeSectors: number;
  version: number;
  /** The part of the map blktap reads, checksums and writes (batmapMapBytes of the disk size). */
  map: Buffer;
  /** The raw 512-byte header: marker and keyhash are kept when it is rewritten. */
  raw: Buffer;
}

/**
 * vhd_has_batmap: dynamic and differencing disks whose creator is `tap`, version ≥ 1.2 always;
 * version 1.1 only when a valid header is there ('maybe'); 0.1 and other creators never.
 */
export function batmapExpected(footer: VhdFooter): 'yes' | 'maybe' | 'no' {
  if (footer.diskType === 'fixed') return 'no';
  if (footer.raw.toString('latin1', 28, 31) !== 'tap') return 'no';
  const version = footer.raw.readUInt32BE(32);
  if (version <= VERSION_0_1) return 'no';
  return version >= VERSION_1_2 ? 'yes' : 'maybe';
}

/** vhd_batmap_header_offset: right after the BAT, padded to a sector. */
export function batmapHeaderOffset(header: Pick<VhdHeader, 'batOffset' | 'maxBatEntries'>): number {
  return header.batOffset + Math.ceil((header.maxBatEntries * 4) / SECTOR) * SECTOR;
}

/**
 * Bytes of map blktap reads, checksums and writes: (size >> 24) bytes (one bit per 2 MiB, as
 * libvhd computes it whatever the block size), rounded up to a sector, at least one.
 */
export function batmapMapBytes(currentSize: number): number {
  return Math.max(1, Math.ceil(Math.floor(currentSize / 2 ** 24) / SECTOR)) * SECTOR;
}

/** Sectors vhd_create_batmap reserves: ceil(entries / 8) bytes as sectors, at least one (and never less than the map blktap reads). */
export function batmapSizeSectors(maxBatEntries: number, currentSize: number): number {
  const secs = Math.max(1, Math.ceil(Math.ceil(maxBatEntries / 8) / SECTOR));
  return Math.max(secs, batmapMapBytes(currentSize) / SECTOR);
}

/** vhd_checksum_batmap: one's complement of the byte sum (signed bytes for version 1.1). */
export function batmapChecksum(map: Uint8Array, version: number): number {
  let sum = 0;
  for (let i = 0; i < map.length; i++) sum += version === BATMAP_VERSION_1_1 && map[i]! > 127 ? map[i]! - 256 : map[i]!;
  return ~sum >>> 0;
}

/** A header for `map` (checksum computed), keeping marker and keyhash of `base` when given. */
export function buildBatmapHeader(b: { offset: number; sizeSectors: number; version: number; map: Uint8Array }, base?: Buffer): Buffer {
  const raw = Buffer.alloc(BATMAP_HEADER_SIZE);
  // marker (byte 28) and keyhash (29..93) survive; the reserved rest is zero, as blktap writes it
  base?.copy(raw, 28, 28, 94);
  raw.write(BATMAP_COOKIE, 0, 'latin1');
  raw.writeBigUInt64BE(BigInt(b.offset), 8);
  raw.writeUInt32BE(b.sizeSectors, 16);
  raw.writeUInt32BE(b.version, 20);
  raw.writeUInt32BE(batmapChecksum(b.map, b.version), 24);
  return raw;
}

/** Whether `raw` starts a batmap header blktap accepts (vhd_validate_batmap_header). */
export function batmapHeaderValid(raw: Buffer): boolean {
  return raw.length >= BATMAP_HEADER_SIZE && raw.toString('latin1', 0, 8) === BATMAP_COOKIE && raw.readUInt32BE(20) <= BATMAP_VERSION;
}

/** Decodes a batmap header; throws FormatError saying what blktap would reject. */
export function parseBatmapHeader(file: string, headerOffset: number, raw: Buffer, currentSize: number, end: number): Omit<VhdBatmap, 'map'> {
  if (raw.length < BATMAP_HEADER_SIZE || raw.toString('latin1', 0, 8) !== BATMAP_COOKIE) {
    throw new FormatError(file, `no batmap header at offset ${headerOffset} (cookie "tdbatmap" missing), which blktap requires of this creator version`);
  }
  const version = raw.readUInt32BE(20);
  if (version > BATMAP_VERSION) throw new FormatError(file, `unsupported batmap version 0x${version.toString(16)}`);
  const offset = raw.readBigUInt64BE(8);
  const sizeSectors = raw.readUInt32BE(16);
  if (offset === 0n || offset % BigInt(SECTOR) !== 0n) throw new FormatError(file, `invalid batmap offset ${offset}`);
  if (sizeSectors === 0 || sizeSectors * SECTOR < batmapMapBytes(currentSize) || offset + BigInt(sizeSectors * SECTOR) > BigInt(end)) {
    throw new FormatError(file, `invalid batmap size (${sizeSectors} sectors at offset ${offset})`);
  }
  return { headerOffset, offset: Number(offset), sizeSectors, version, raw: Buffer.from(raw.subarray(0, BATMAP_HEADER_SIZE)) };
}

/** The batmap with its map, once the map's checksum matches the header's. */
export function withBatmapMap(file: string, h: Omit<VhdBatmap, 'map'>, map: Buffer): VhdBatmap {
  const stored = h.raw.readUInt32BE(24);
  const computed = batmapChecksum(map, h.version);
  if (stored !== computed) throw new FormatError(file, `batmap checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`);
  return { ...h, map };
}

/** vhd_batmap_test: bits beyond the reserved space read as clear. */
export function batmapTest(b: VhdBatmap, block: number): boolean {
  return block < b.map.length * 8 && block < b.sizeSectors * SECTOR * 8 && testBit(b.map, block);
}
