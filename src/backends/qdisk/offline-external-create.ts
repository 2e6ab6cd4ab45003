import { chmod, chown, link, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import { fsyncDir } from '../../util/atomic-file.js';
import { frozenImagePath } from '../backend.js';
import * as img from './qemu-img.js';
import { fsyncFile, lstatOrNull, type OfflineStep } from './offline-steps.js';

/**
 * The paths of one disk's external snapshot. Always: `leaf` is the configured (stable) path,
 * `frozen` = frozenImagePath(leaf, snapshot) and `temp` live in the leaf's directory, so the
 * link and rename below never cross a file system.
 */
export interface ExternalCreatePaths {
  vdev: string;
  leaf: string;
  frozen: string;
  temp: string;
  leafFormat: string;
  size: number;
}

/** The temporary name of the new overlay, next to the leaf. */
export function tempOverlayPath(leaf: string): string {
  return join(dirname(leaf), `.${basename(leaf)}.xensnap-new`);
}

/** Checks one disk and returns its paths; refuses (nothing changed) on anything unexpected. */
export async function prepareExternalCreate(disk: Disk, snapshot: string): Promise<ExternalCreatePaths> {
  const leaf = disk.path;
  const frozen = frozenImagePath(leaf, snapshot);
  const temp = tempOverlayPath(leaf);
  const refuse = (why: string): never => {
    throw new BackendError(`cannot take external snapshot "${snapshot}" of disk ${disk.vdev} (${leaf}): ${why}`);
  };
  const st = await lstatOrNull(leaf);
  if (!st) refuse('the image does not exist');
  if (st!.isSymbolicLink()) refuse('the configured path is a symbolic link; the stable-path switch needs the image itself there');
  if (!st!.isFile()) refuse('the configured path is not a regular file');
  if (st!.nlink !== 1) refuse(`the image has ${st!.nlink} hard links; another name would keep writing into the frozen image`);
  if (await lstatOrNull(frozen)) refuse(`${frozen} already exists`);
  if (await lstatOrNull(temp)) refuse(`a temporary overlay ${temp} is left from an interrupted snapshot; recover it or remove it first`);
  const top = await img.info(leaf, { format: disk.format });
  return { vdev: disk.vdev, leaf, frozen, temp, leafFormat: top.format, size: top.virtualSize };
}

/*
 * Crash-safe order, per disk (L leaf, F frozen name, T temp overlay):
 *  (a) overlay: `qemu-img create -f qcow2 -F fmt -b F -u T size`, give T L's mode and owner, fsync T.
 *      Crash here: L untouched; at most a stray T.  Recovery: unlink T.
 *  (b) link:    link(L, F), fsync dir.  F is a second name of L's inode, nothing is copied.
 *      Crash here: L untouched; maybe F = same inode as L.  Recovery: unlink F when it is L's inode, unlink T.
 *  (c) switch:  rename(T, L), fsync dir — the single switch point. L's old inode lives on only as F,
 *      and the new L reads through F, so the guest-visible content of L never changes.
 *      Crash here: either the rename happened (L = overlay over F) or not (state of (b)).
 *      Recovery: when L is our still-empty overlay over F, rename(F, L) puts the old inode back in
 *      one step; an overlay that already holds writes (the domain ran) is kept: the snapshot then
 *      stays, because rolling back would lose guest data.
 * Images deeper in the chain keep their backing names, and nothing points at L (it is the leaf),
 * so no other header needs rewriting. At every point the path L is a complete, consistent image.
 */
export function externalCreateSteps(paths: ExternalCreatePaths[]): OfflineStep[] {
  const detail = (p: ExternalCreatePaths) => ({ vdev: p.vdev, leaf: p.leaf, frozen: p.frozen, temp: p.temp, leafFormat: p.leafFormat, size: p.size });
  const overlay = paths.map((p): OfflineStep => ({
    name: 'qdisk-offline.external-overlay',
    detail: detail(p),
    run: async () => {
      await img.createQcow2(p.temp, { backing: p.frozen, backingFormat: p.leafFormat, unsafe: true, size: p.size });
      await copyOwnership(p.leaf, p.temp);
      await fsyncFile(p.temp);
    },
  }));
  const links = paths.map((p): OfflineStep => ({
    name: 'qdisk-offline.external-link',
    detail: detail(p),
    run: async () => {
      await link(p.leaf, p.frozen);
      await fsyncDir(dirname(p.leaf));
    },
  }));
  const switches = paths.map((p): OfflineStep => ({
    name: 'qdisk-offline.external-switch',
    detail: detail(p),
    run: async () => {
      await rename(p.temp, p.leaf);
      await fsyncDir(dirname(p.leaf));
      await verifySwitched(p);
    },
  }));
  // All overlays and links first, then the switches back to back: the window in which some
  // disks are switched and others not is as short as it can be.
  return [...overlay, ...links, ...switches];
}

/** After the switch, L must be qcow2 reading through F. */
async function verifySwitched(p: ExternalCreatePaths): Promise<void> {
  const top = await img.info(p.leaf, { format: 'qcow2' });
  if (top.backingPath !== p.frozen) {
    throw new BackendError(`after the switch ${p.leaf} reads through ${top.backingPath ?? 'nothing'} instead of ${p.frozen}`);
  }
}

/** Gives `to` the mode (and, as root, the owner) of `from`: the device model must open the overlay. */
export async function copyOwnership(from: string, to: string): Promise<void> {
  const st = await lstatOrNull(from);
  if (!st) return;
  await chmod(to, st.mode & 0o7777);
  const dst = await lstatOrNull(to);
  if (dst && process.getuid?.() === 0 && (dst.uid !== st.uid || dst.gid !== st.gid)) await chown(to, st.uid, st.gid);
}

export function externalRecords(disks: Disk[], paths: ExternalCreatePaths[]): SnapshotDiskRecord[] {
  return disks.map((d, i) => ({ vdev: d.vdev, format: d.format, backend: d.backend, frozenPath: paths[i]!.frozen }));
}
