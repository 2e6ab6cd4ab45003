import { stat } from 'node:fs/promises';
import type { QmpClient } from '../qmp/qmp-client.js';
import type { InternalSnapshotInfo } from '../model/observed.js';
import type { ImageFacts, ImageReader } from './image-reader.js';
import { resolveBacking } from './native-image-reader.js';

/** The parts of a `query-named-block-nodes` entry observation uses. */
interface BlockNode {
  'node-name': string;
  drv: string;
  image?: {
    filename: string;
    format: string;
    'virtual-size': number;
    'actual-size'?: number;
    'backing-filename'?: string;
    'full-backing-filename'?: string;
    'backing-filename-format'?: string;
    snapshots?: { id: string; name: string; 'date-sec': number; 'date-nsec': number; 'vm-state-size': number }[];
  };
}

const FORMATS: Record<string, ImageFacts['format']> = { qcow2: 'qcow2', raw: 'raw', vpc: 'vhd' };

/**
 * An ImageReader for a running or paused domain that answers from QEMU's own block graph
 * (`query-named-block-nodes`), so what is observed is what QEMU uses, not a header QEMU may be
 * rewriting. Images QEMU has not opened fall back to `fallback` (the native, read-only readers).
 */
export async function qmpImageReader(client: QmpClient, fallback: ImageReader): Promise<ImageReader> {
  const nodes = await client.execute<BlockNode[]>('query-named-block-nodes', { flat: true });
  const byFile = new Map<string, NonNullable<BlockNode['image']> & { drv: string }>();
  for (const n of nodes) {
    if (!n.image || !(n.drv in FORMATS)) continue;
    // a format node's image names the file QEMU opened it from: the stable leaf path for the top
    if (!byFile.has(n.image.filename)) byFile.set(n.image.filename, { ...n.image, drv: n.drv });
  }
  return {
    async read(path: string, format: string | null): Promise<ImageFacts> {
      const img = byFile.get(path);
      if (!img) return fallback.read(path, format);
      const st = await stat(path);
      const backing = img['full-backing-filename'] ?? img['backing-filename'];
      const internal: InternalSnapshotInfo[] = (img.snapshots ?? []).map((s) => ({
        id: s.id,
        name: s.name,
        dateSec: s['date-sec'],
        dateNsec: s['date-nsec'],
        vmStateSize: s['vm-state-size'],
        diskSize: null,
      }));
      return {
        format: FORMATS[img.drv]!,
        virtualSize: img['virtual-size'],
        allocatedBytes: img['actual-size'] ?? st.blocks * 512,
        backing: backing ? resolveBacking(path, backing) : null,
        backingFormat: img['backing-filename-format'] ?? null,
        internal,
        inode: { dev: st.dev, ino: st.ino },
        mtimeMs: st.mtimeMs,
        links: st.nlink,
      };
    },
  };
}
