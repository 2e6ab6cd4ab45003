import { pathExists } from '../util/path-exists.js';
import { lstat, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as img from '../backends/qdisk/qemu-img.js';
import { frozenImagePath } from '../backends/backend.js';
import { readVhdChain } from '../formats/vhd/vhd-chain.js';
import { tagClusterDiffOf } from '../formats/qcow2/tag-cluster-diff.js';
import type { Domain } from '../model/domain.js';
import { recordPath } from '../state/record-path.js';
import { formatBytes } from '../util/format-bytes.js';
import type { RevertPlan } from './revert-plan.js';

const MiB = 1024 * 1024;

/** What the revert may write on one file system, at most, and what is free there now. */
export interface SpaceNeed {
  dir: string;
  bytes: number;
  free: number;
}

/**
 * The most each file system must hold during the revert. Per disk: 1 MiB for the pre-revert
 * snapshot (an overlay, or a tag's table and refcount updates); a fresh leaf 1 MiB (VHD: plus its
 * BAT and batmap); a tag leaf the tag's own clusters (the scratch image) plus the clusters where
 * the tag differs from the image holding it (the leaf), counted from the L1/L2 tables, plus their
 * tables. Read-only.
 */
export async function spaceNeeds(plan: RevertPlan): Promise<SpaceNeed[]> {
  const byDev = new Map<number, SpaceNeed>();
  for (const d of plan.disks) {
    let bytes = MiB;
    if (d.method === 'fresh-leaf') bytes += MiB + (d.format === 'vhd' ? Math.ceil((await readVhdChain(d.leaf))[0]!.layout.info.currentSize / (512 * 1024)) : 0);
    if (d.method === 'tag-leaf') {
      const holder = d.source && (await pathExists(d.source)) ? d.source : d.leaf; // a leaf holding the tag becomes the source once frozen
      const diff = await tagClusterDiffOf(holder, d.tag!);
      const clusters = diff.tagClusters + diff.differing;
      bytes += clusters * diff.clusterSize + 2 * MiB + Math.ceil((clusters * 8 * 2) / diff.clusterSize + 2) * diff.clusterSize;
    }
    const dir = dirname(d.leaf);
    const dev = (await stat(dir)).dev;
    const need = byDev.get(dev);
    if (need) need.bytes += bytes;
    else {
      const fs = await statfs(dir);
      byDev.set(dev, { dir, bytes, free: fs.bavail * fs.bsize });
    }
  }
  return [...byDev.values()];
}

/**
 * Everything about the host that can refuse the revert before anything changes: the pre-revert
 * name free (record, frozen images, tags), no leftover temporary leaf, leaves that can be frozen,
 * the memory image readable, a way to start the domain, and room on every file system.
 * Returns the refusals, empty when the revert can go ahead.
 */
export async function revertRefusals(plan: RevertPlan, domain: Domain, opts: { stateDir: string; canRestoreMemory: string | null }): Promise<string[]> {
  const out: string[] = [];
  if (await pathExists(recordPath(opts.stateDir, domain.key, plan.preRevert))) out.push(`a record of snapshot ${plan.preRevert} already exists; try again in a second`);
  for (const d of plan.disks) {
    for (const t of [d.temp, d.scratch]) if (t && (await pathExists(t))) out.push(`disk ${d.vdev}: ${t} is left from an earlier revert whose journal is gone; remove it`);
    if (plan.preRevertType === 'external') {
      const frozen = frozenImagePath(d.leaf, plan.preRevert);
      if (await pathExists(frozen)) out.push(`disk ${d.vdev}: ${frozen} already exists`);
      const st = await lstat(d.leaf).catch(() => null);
      if (!st?.isFile()) out.push(`disk ${d.vdev}: ${d.leaf} is not a regular file, so it cannot be frozen`);
      else if (st.nlink !== 1) out.push(`disk ${d.vdev}: ${d.leaf} has ${st.nlink} hard links; freezing it would keep another name writing into the pre-revert image`);
    } else {
      const chain = await img.chain(d.leaf, { format: 'qcow2', shareRw: true });
      if (chain.some((c) => c.snapshots.some((s) => s.name === plan.preRevert))) out.push(`disk ${d.vdev}: an internal snapshot ${plan.preRevert} already exists`);
    }
  }
  if (plan.memory?.kind === 'file' && !(await pathExists(plan.memory.file))) out.push(`the memory image ${plan.memory.file} of ${plan.target} is missing`);
  if (plan.memory && opts.canRestoreMemory) out.push(opts.canRestoreMemory);
  for (const n of await spaceNeeds(plan)) {
    if (n.bytes > n.free) out.push(`not enough free space for the revert on the file system of ${n.dir}: it needs up to ${formatBytes(n.bytes)}, ${formatBytes(n.free)} is free`);
  }
  return out;
}
