import { chmod, chown, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as img from '../backends/qdisk/qemu-img.js';
import { BackendError } from '../errors.js';
import { createDifferencingVhd } from '../formats/vhd/vhd-create.js';
import { fsyncDir } from '../util/atomic-file.js';
import { run } from '../util/exec.js';

/** The temporary name of a revert's new leaf, next to the leaf (same file system for the rename). */
export function revertLeafTemp(leaf: string): string {
  return join(dirname(leaf), `.${basename(leaf)}.xensnap-revert`);
}

/**
 * Replaces the leaf at `leaf` with a fresh, empty child of the frozen image `frozen` (qcow2 overlay
 * or VHD differencing disk): build it under a temporary name, give it the old leaf's mode and owner,
 * sync it, rename it over the leaf and sync the directory — one atomic switch, so the leaf path is
 * always a complete image. The caller has already kept the old leaf's content elsewhere (the
 * pre-revert snapshot froze it), and `frozen` itself is only read: newer snapshots stay intact.
 */
export async function freshLeafOver(leaf: string, frozen: string, format: 'qcow2' | 'vhd'): Promise<void> {
  const temp = revertLeafTemp(leaf);
  if (await lstat(temp).catch(() => null)) await unlink(temp); // left by an interrupted revert; never published
  if (!(await lstat(frozen).catch(() => null))) throw new BackendError(`cannot revert ${leaf}: the snapshot's image ${frozen} is missing`);
  if (format === 'vhd') {
    await createDifferencingVhd(temp, frozen);
  } else {
    const parent = await img.info(frozen);
    await img.createQcow2(temp, { backing: frozen, backingFormat: parent.format, size: parent.virtualSize });
  }
  try {
    const st = await lstat(leaf);
    await chmod(temp, st.mode & 0o7777);
    if (process.getuid?.() === 0) await chown(temp, st.uid, st.gid);
    const fh = await open(temp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, leaf);
    await fsyncDir(dirname(leaf));
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** `qemu-img snapshot -a TAG` on a shut-off qcow2 leaf; refuses when the tag is not in the leaf's own table. */
export async function applyInternalTag(leaf: string, tag: string): Promise<void> {
  const info = await img.info(leaf, { format: 'qcow2' });
  if (!info.snapshots.some((s) => s.name === tag)) {
    throw new BackendError(`cannot revert ${leaf} to internal snapshot "${tag}": the image's snapshot table has no such tag (it may live in a frozen image below the leaf)`);
  }
  // --image-opts pins the format (qemu-img snapshot has no -f), so the file is never probed.
  const opts = `driver=qcow2,file.driver=file,file.filename=${leaf.replace(/,/g, ',,')}`;
  await run(img.QEMU_IMG, ['snapshot', '--image-opts', '-a', tag, opts], { timeoutMs: 30 * 60_000 });
}
