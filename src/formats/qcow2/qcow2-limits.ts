// Layout constants and sanity bounds of the qcow2 format (QEMU docs/interop/qcow2.txt).
// The bounds mirror what QEMU itself refuses to open, so an image QEMU opens is never rejected
// here, and a hostile image can never make the reader allocate or loop without limit.

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
export const V2_HEADER_LENGTH = 72;
export const V3_MIN_HEADER_LENGTH = 104;
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** The backing file name is not NUL-terminated and at most this long. */
export const MAX_BACKING_FILE_NAME = 1023;
/** QEMU keeps the backing format in a 16-byte C string: at most 15 bytes of name. */
export const MAX_BACKING_FORMAT_NAME = 15;
export const MAX_SNAPSHOTS = 65536;
/** QEMU refuses snapshot tables larger than this. */
export const MAX_SNAPSHOT_TABLE_BYTES = 64 * 1024 * 1024;
/** QEMU refuses snapshot entries with more extra data than this. */
export const MAX_SNAPSHOT_EXTRA_DATA = 1024;
export const SNAPSHOT_ENTRY_FIXED = 40;

export const EXT_END = 0x00000000;
export const EXT_BACKING_FORMAT = 0xe2792aca;

/** v3 incompatible feature bits QEMU knows: dirty, corrupt, external data file, compression type, extended L2. */
export const INCOMPAT_DIRTY = 1n;
export const INCOMPAT_CORRUPT = 2n;
export const INCOMPAT_DATA_FILE = 4n;
export const INCOMPAT_COMPRESSION_TYPE = 8n;
export const INCOMPAT_EXTENDED_L2 = 16n;
export const INCOMPAT_KNOWN = 0x1fn;
/** Autoclear bits QEMU knows: bitmaps, raw external data. */
export const AUTOCLEAR_KNOWN = 3n;
/** The v3 compression_type byte, present when header_length exceeds this offset. */
export const COMPRESSION_TYPE_OFFSET = 104;
/** QEMU's limits on the active and snapshot L1 tables and on the refcount table. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
