import type { InternalSnapshotInfo } from '../model/observed.js';

/** What observation needs to know of one image file, whatever its format. */
export interface ImageFacts {
  format: 'qcow2' | 'vhd' | 'raw';
  virtualSize: number;
  /** Bytes allocated on the host file system (st_blocks × 512). */
  allocatedBytes: number;
  /** Absolute path of the backing file / VHD parent, or null at the base. */
  backing: string | null;
  /** The backing file's format as the image names it (qcow2 header extension), if it does. */
  backingFormat: string | null;
  /** qcow2 internal snapshot table (empty for other formats). */
  internal: InternalSnapshotInfo[];
  /** inode identity, to spot two names for one file. */
  inode: { dev: number; ino: number };
  /** Last modification, ms since the epoch (a foreign frozen image's best creation time). */
  mtimeMs: number;
  /** Hard links to the file (st_nlink). */
  links?: number;
}

/**
 * Reads one image. `format` is what the configuration (for a leaf) or the child image (for a
 * backing file) says the image is: a reader never second-guesses a stated `raw` by looking at the
 * content, since a guest can write any header into a raw disk. Throws FormatError for corrupt
 * images or a format mismatch, a NodeJS error (ENOENT…) for missing ones.
 */
export interface ImageReader {
  read(path: string, format: string | null): Promise<ImageFacts>;
}
