import type { FileAccess } from './file-access.js';
import { QCOW2_MAGIC } from './qcow2/qcow2-limits.js';

const VHD_COOKIE = Buffer.from('conectix', 'latin1');

/** The image formats xensnap tells apart by content. Anything else is treated as raw. */
export type ProbedFormat = 'qcow2' | 'vhd' | 'raw';

/**
 * Tells an image's format from its bytes, never from its name: qcow2 magic at offset 0; a VHD
 * footer cookie in the last 512 bytes (511 in images from old Virtual PC versions) or the copy
 * at offset 0 (dynamic and differencing disks); otherwise raw.
 */
export async function probeImageFormat(f: FileAccess): Promise<ProbedFormat> {
  const [size, head] = await Promise.all([f.size(), f.read(0, 512)]);
  if (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC) return 'qcow2';
  if (head.length >= 8 && head.subarray(0, 8).equals(VHD_COOKIE)) return 'vhd';
  if (size >= 511) {
    const tailStart = Math.max(0, size - 512);
    const tail = await f.read(tailStart, size - tailStart);
    for (const footerLen of [512, 511]) {
      const at = tail.length - footerLen;
      if (at >= 0 && tail.subarray(at, at + 8).equals(VHD_COOKIE)) return 'vhd';
    }
  }
  return 'raw';
}
