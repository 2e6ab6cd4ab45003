import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { withFile } from '../formats/file-access.js';
import { probeImageFormat } from '../formats/probe-image-format.js';
import { readQcow2Info } from '../formats/qcow2/read-qcow2-info.js';
import { readVhdInfo, resolveVhdParent } from '../formats/vhd/read-vhd-info.js';
import { FormatError } from '../errors.js';
import type { ImageFacts, ImageReader } from './image-reader.js';

/** Resolves a qcow2 backing-file string the way QEMU does for plain file names. */
export function resolveBacking(imagePath: string, backing: string): string {
  if (backing.startsWith('json:')) throw new FormatError(imagePath, `backing file is a json: pseudo-filename (${backing.slice(0, 80)}), which xensnap does not follow`);
  if (backing.includes('\0')) throw new FormatError(imagePath, 'backing file name contains a NUL byte');
  return isAbsolute(backing) ? backing : resolve(dirname(imagePath), backing);
}

const KNOWN: Record<string, 'qcow2' | 'vhd' | 'raw'> = { qcow2: 'qcow2', vhd: 'vhd', vpc: 'vhd', raw: 'raw' };

/**
 * Reads images with xensnap's own readers: no process is started, nothing is written. A stated
 * format is trusted (raw is never probed); only an image whose format nobody states is probed.
 */
export const nativeImageReader: ImageReader = {
  async read(path: string, stated: string | null): Promise<ImageFacts> {
    const st = await stat(path);
    const common = { allocatedBytes: st.blocks * 512, inode: { dev: st.dev, ino: st.ino }, mtimeMs: st.mtimeMs, links: st.nlink };
    if (stated !== null && !(stated in KNOWN)) throw new FormatError(path, `format ${stated} is not one xensnap reads`);
    return withFile(path, async (f) => {
      const format = stated !== null ? KNOWN[stated]! : await probeImageFormat(f);
      if (format === 'qcow2') {
        const info = await readQcow2Info(f);
        return {
          ...common,
          format,
          virtualSize: info.virtualSize,
          backing: info.backingFile ? resolveBacking(path, info.backingFile) : null,
          backingFormat: info.backingFormat,
          internal: info.snapshots,
        };
      }
      if (format === 'vhd') {
        const info = await readVhdInfo(f);
        const parent = info.diskType === 'differencing' ? resolveVhdParent(path, info) : null;
        if (info.diskType === 'differencing' && parent === null) throw new FormatError(path, 'differencing VHD whose parent locators name no usable path');
        return { ...common, format, virtualSize: info.currentSize, backing: parent, backingFormat: parent ? 'vhd' : null, internal: [] };
      }
      return { ...common, format, virtualSize: st.size, backing: null, backingFormat: null, internal: [] };
    });
  },
};
