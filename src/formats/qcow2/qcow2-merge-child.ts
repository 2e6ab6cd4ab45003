import type { FileAccess } from '../file-access.js';
import { ClusterStore } from './qcow2-cluster-store.js';
import { childTables, type ChildTable } from './qcow2-child-tables.js';
import { readQcow2Metadata, type Qcow2Metadata } from './qcow2-metadata.js';
import { refuseChild, refusePair } from './qcow2-merge-refusals.js';
import { ParentReader } from './qcow2-parent-reader.js';
import { refcountMax } from './qcow2-refcount-codec.js';

/**
 * One child being merged with its parent F, as the batches see it. Always: every refusal of
 * qcow2-merge-refusals passed; `fileSize` is the child's size after the batches so far (real or
 * simulated) and `store` reads the child as those batches left it.
 */
export interface MergeChild {
  path: string;
  meta: Qcow2Metadata;
  store: ClusterStore;
  tables: ChildTable[];
  parent: ParentReader;
  /** v2 has no zero flag: F's zero clusters become zeroed data clusters. */
  zeroAsData: boolean;
  refcountOrder: number;
  refcountMax: number;
  fileSize: number;
}

/** Reads and checks a child of F (`parent`: F's metadata, already refused or accepted). */
export async function openMergeChild(path: string, f: FileAccess, parentPath: string, parentMeta: Qcow2Metadata): Promise<MergeChild> {
  const meta = await readQcow2Metadata(f);
  refuseChild(meta);
  const tables = childTables(meta);
  await refusePair(parentPath, parentMeta, path, meta, tables);
  const parent = new ParentReader(parentMeta, meta.header.clusterSize);
  await parent.load();
  return {
    path,
    meta,
    store: new ClusterStore(f, meta.header.clusterSize),
    tables,
    parent,
    zeroAsData: meta.header.version === 2,
    refcountOrder: meta.header.refcountOrder,
    refcountMax: refcountMax(meta.header.refcountOrder),
    fileSize: meta.fileSize,
  };
}
