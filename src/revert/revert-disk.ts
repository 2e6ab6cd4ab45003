// The file work of one disk of a revert: build its new leaf aside, switch it in, or undo that.
import { lstat, realpath, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../errors.js';
import * as img from '../backends/qdisk/qemu-img.js';
import { backingOf } from '../backends/qdisk/offline-external-delete.js';
import { copyOwnership } from '../backends/qdisk/offline-external-create.js';
import { fsyncFile } from '../backends/qdisk/offline-steps.js';
import { createDifferencingVhd } from '../formats/vhd/vhd-create.js';
import { readVhdChain } from '../formats/vhd/vhd-chain.js';
import { fsyncDir } from '../util/atomic-file.js';
import { pathExists } from '../util/path-exists.js';
import { run } from '../util/exec.js';
import type { RevertDiskPlan } from './revert-steps.js';

const TIMEOUT_MS = 6 * 60 * 60_000; // a tag leaf of a large disk reads it whole: long, but never for ever

/** Removes a file if it is there (an unpublished temp of ours). */
export async function removeIfPresent(path: string | null): Promise<boolean> {
  if (!path || !(await pathExists(path))) return false;
  await unlink(path);
  return true;
}

/**
 * Builds the disk's new leaf at `d.temp`, never published until the switch; the image it reads
 * through is only read. fresh-leaf: an empty overlay (qcow2) or differencing child (VHD) of the
 * frozen image. tag-leaf (image X holds tag T): T's own clusters are converted over X's backing
 * into the scratch image O, so O∘backing(X) = X@T; an empty leaf over O is then rebased (safe
 * mode) onto X, which writes into it exactly the clusters where O∘backing(X) and X differ — so
 * leaf∘X = X@T with the fewest clusters; O is removed. The new leaf gets the old leaf's mode and
 * owner and is synced.
 */
export async function buildLeaf(d: RevertDiskPlan): Promise<void> {
  if (!d.temp || !d.source) throw new BackendError(`disk ${d.vdev}: a ${d.method} revert builds no leaf`);
  await removeIfPresent(d.temp); // ours: this step's intent is journaled, and the checks refused a leftover
  await removeIfPresent(d.scratch);
  if (d.method === 'fresh-leaf' && d.format === 'vhd') {
    await createDifferencingVhd(d.temp, d.source);
  } else if (d.method === 'fresh-leaf') {
    const src = await img.info(d.source, { format: 'qcow2', shareRw: true });
    await img.createQcow2(d.temp, { backing: d.source, backingFormat: 'qcow2', size: src.virtualSize });
  } else {
    const src = await img.info(d.source, { format: 'qcow2', shareRw: true });
    const below = src.backingPath ? ['-B', src.backingPath, '-F', src.backingFormat ?? 'qcow2'] : [];
    await run(img.QEMU_IMG, ['convert', '-q', '-f', 'qcow2', '-l', `snapshot.name=${d.tag}`, ...below, '-O', 'qcow2', d.source, d.scratch!], { timeoutMs: TIMEOUT_MS });
    const size = (await img.info(d.scratch!, { format: 'qcow2' })).virtualSize;
    await img.createQcow2(d.temp, { backing: d.scratch!, backingFormat: 'qcow2', size });
    await run(img.QEMU_IMG, ['rebase', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', d.source, d.temp], { timeoutMs: TIMEOUT_MS });
    await unlink(d.scratch!);
  }
  await copyOwnership(d.leaf, d.temp);
  await fsyncFile(d.temp);
  await fsyncDir(dirname(d.leaf));
}

/** The path an image reads through (qcow2 backing, VHD parent), resolved; null at a base. */
export async function readsThrough(path: string, format: 'qcow2' | 'vhd'): Promise<string | null> {
  if (format === 'qcow2') return backingOf(path);
  const chain = await readVhdChain(path);
  return chain[1] ? realpath(chain[1].path) : null;
}

async function same(a: string | null, b: string | null): Promise<boolean> {
  if (!a || !b) return false;
  const [x, y] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)]);
  return x === y;
}

/** `qemu-img snapshot -a TAG` on a shut-off qcow2 leaf (the format pinned, never probed). */
export async function applyTag(leaf: string, tag: string): Promise<void> {
  const opts = `driver=qcow2,file.driver=file,file.filename=${leaf.replace(/,/g, ',,')}`;
  await run(img.QEMU_IMG, ['snapshot', '--image-opts', '-a', tag, opts], { timeoutMs: TIMEOUT_MS });
}

/**
 * Switches the disk to its target. In place (apply-tag): the leaf's active layer becomes the tag.
 * New leaf: rename(temp, leaf) and a directory sync — one atomic switch, the leaf path is always
 * a complete image — then the leaf must read through the target's image.
 */
export async function switchDisk(d: RevertDiskPlan): Promise<void> {
  if (d.method === 'apply-tag') return applyTag(d.leaf, d.tag!);
  if (d.method === 'load-tag') throw new BackendError(`disk ${d.vdev}: QEMU switches a load-tag disk itself`);
  await rename(d.temp!, d.leaf);
  await fsyncDir(dirname(d.leaf));
  const through = await readsThrough(d.leaf, d.format);
  if (!(await same(through, d.source))) throw new BackendError(`after the switch ${d.leaf} reads through ${through ?? 'nothing'} instead of ${d.source}`);
}

/**
 * Puts the disk back as it was before the revert, from whatever state its files are in (the
 * journal says how far the work got; the files say where it stopped). In place: the pre-revert
 * tag is applied back (a no-op when the switch never happened). New leaf: while the pre-revert
 * image F still exists apart from the leaf and the leaf is either the freeze's overlay or our new
 * leaf (it reads through F or through the target's image), F goes back to the leaf path in one
 * rename — the old leaf's own inode, untouched since. Returns what it did, or null.
 */
export async function undoDisk(d: RevertDiskPlan, pre: { tag: string | null; frozen: string | null }): Promise<string | null> {
  if (d.method === 'apply-tag' || d.method === 'load-tag') {
    if (!pre.tag) return null;
    const tags = (await img.info(d.leaf, { format: 'qcow2' })).snapshots.map((s) => s.name);
    if (!tags.includes(pre.tag)) return null; // the pre-revert tag was never made here, so neither was the switch
    await applyTag(d.leaf, pre.tag);
    return `${d.vdev}: ${d.leaf} is back at ${pre.tag}`;
  }
  const frozen = pre.frozen;
  if (!frozen || !(await pathExists(frozen))) return null;
  if (await pathExists(d.leaf)) {
    const [l, f] = await Promise.all([lstat(d.leaf), lstat(frozen)]);
    if (l.ino === f.ino && l.dev === f.dev) return null; // only linked: the backend's rollback removes the extra name
    const through = await readsThrough(d.leaf, d.format);
    if (!(await same(through, frozen)) && !(await same(through, d.source))) {
      throw new BackendError(`disk ${d.vdev}: ${d.leaf} reads through ${through ?? 'nothing'}, neither ${frozen} nor ${d.source}; the revert's recovery changes neither`);
    }
  }
  await rename(frozen, d.leaf);
  await fsyncDir(dirname(d.leaf));
  return `${d.vdev}: ${frozen} is back at ${d.leaf}`;
}
