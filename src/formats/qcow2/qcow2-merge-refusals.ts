import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FormatError } from '../../errors.js';
import { type ChildTable, tableName } from './qcow2-child-tables.js';
import { checkL1Location, type Qcow2Metadata } from './qcow2-metadata.js';
import { AUTOCLEAR_KNOWN, INCOMPAT_DATA_FILE, INCOMPAT_EXTENDED_L2 } from './qcow2-limits.js';
import { MAX_REFCOUNT_ORDER } from './qcow2-refcount-codec.js';

// What the cluster-level merge refuses, each with the reason, before anything is written.

const CRYPT = ['none', 'AES', 'LUKS'];

/** Refusals that apply to F and to a child alike. */
function refuseFeatures(m: Qcow2Metadata): void {
  const h = m.header;
  if (h.dirty) throw m.fail("the dirty bit is set (the image was not closed cleanly; run 'qemu-img check -r all' on it first)");
  if (h.corrupt) throw m.fail("the corrupt bit is set (QEMU found it inconsistent; repair it with 'qemu-img check -r all' first)");
  if (h.cryptMethod !== 0) throw m.fail(`it is encrypted (${CRYPT[h.cryptMethod] ?? `method ${h.cryptMethod}`}); the merge works on plain images only`);
  if (h.incompatibleFeatures & INCOMPAT_DATA_FILE) throw m.fail('it keeps its guest data in an external data file, which the merge does not handle');
  if (h.incompatibleFeatures & INCOMPAT_EXTENDED_L2) throw m.fail('it uses extended L2 entries (subclusters), which the merge does not handle');
}

/** F is only read: its compressed clusters must be deflate (node:zlib), its tables sound. */
export function refuseParent(m: Qcow2Metadata): void {
  refuseFeatures(m);
  if (m.header.compressionType !== 0) {
    throw m.fail(`its compressed clusters use compression type ${m.header.compressionType === 1 ? 'zstd' : m.header.compressionType}; the merge inflates deflate (zlib) only`);
  }
  checkL1Location(m, 'the active L1 table', m.header.l1TableOffset, m.header.l1Size);
}

/**
 * A child is written: besides the shared refusals, its refcount width must be one qcow2
 * defines, and no auto-clear bit the merge does not know may be set (qcow2.txt: a writer must
 * clear those first, which would drop data it cannot keep consistent). The child's own
 * compression type does not matter: the merge never reads or writes its compressed clusters.
 */
export function refuseChild(m: Qcow2Metadata): void {
  refuseFeatures(m);
  const h = m.header;
  if (h.refcountOrder > MAX_REFCOUNT_ORDER) throw m.fail(`refcount_order ${h.refcountOrder} is not one of 0..${MAX_REFCOUNT_ORDER} (refcount_bits 1..64)`);
  const unknown = h.autoclearFeatures & ~AUTOCLEAR_KNOWN;
  if (unknown !== 0n) throw m.fail(`unknown auto-clear feature bits 0x${unknown.toString(16)} are set`);
}

/**
 * The child must name F as its backing file (the same file, resolved from the child's
 * directory) with format qcow2 or none (probed), and no table of it may show more than F
 * unless F has no backing file of its own: beyond F's end the child reads zeros now and would
 * read F's backing file after the rebase.
 */
export async function refusePair(parentPath: string, parent: Qcow2Metadata, childPath: string, child: Qcow2Metadata, tables: ChildTable[]): Promise<void> {
  const backing = child.extras.backingFile;
  if (backing === null) throw child.fail(`it has no backing file, so it does not read through ${parentPath}`);
  if (backing.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(backing)) {
    throw child.fail(`its backing file "${backing}" is not a plain file name`);
  }
  const named = isAbsolute(backing) ? backing : resolve(dirname(childPath), backing);
  const [a, b] = await Promise.all([stat(named).catch(() => null), stat(parentPath)]);
  if (!a || a.dev !== b.dev || a.ino !== b.ino) throw child.fail(`its backing file is "${backing}", not ${parentPath}`);
  const fmt = child.extras.backingFormat;
  if (fmt !== null && fmt !== 'qcow2') throw child.fail(`it opens its backing file as ${fmt}, not qcow2`);

  const fSize = parent.header.virtualSize;
  const unit = Math.max(parent.header.clusterSize, child.header.clusterSize);
  const beyondIsZero = parent.extras.backingFile === null && fSize % unit === 0;
  for (const t of tables) {
    if (t.coverage > fSize && !beyondIsZero) {
      throw new FormatError(
        child.file.name,
        `${tableName(t.ref)} is ${t.coverage} bytes, larger than ${parentPath} (${fSize} bytes): beyond ${fSize} it reads zeros through ${parentPath} ` +
          `and would read ${parentPath}'s backing file after the rebase; the merge does not handle that`,
      );
    }
  }
}
