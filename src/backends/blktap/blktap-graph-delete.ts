import { lstat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Disk } from '../../model/domain.js';
import { nativeImageReader } from '../../observe/native-image-reader.js';
import { decideDiskDelete } from '../../plan/graph/decide-disk-delete.js';
import { stepProblem } from '../../plan/graph/step-problem.js';
import type { DiskDeleteStep } from '../../plan/plan-types.js';
import { streamVhdSectors } from '../../formats/vhd/vhd-coalesce.js';
import { readVhdChain } from '../../formats/vhd/vhd-chain.js';
import { relinkVhd } from '../../formats/vhd/vhd-relink.js';
import { fsyncDir } from '../../util/atomic-file.js';
import type { DeleteRequest, Progress, StepJournal } from '../backend.js';
import { localDiskGraph } from '../local-disk-graph.js';
import { carryingPlan, stepImages } from '../planned-steps.js';

/** One disk of a blktap delete with its step, checked against the chain as it is now. */
export interface BlktapDiskWork {
  disk: Disk;
  step: DiskDeleteStep;
}

const exists = (p: string) => lstat(p).then(() => true, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)));
const parentOf = async (p: string) => (await nativeImageReader.read(p, 'vhd')).backing;

/**
 * The steps of a blktap delete, one per disk still holding the snapshot: a planned step must still
 * be safe on the VHD graph as it is now, a disk without one is decided here as the planner
 * decides. Every disk is checked before anything changes. Read-only.
 */
export async function resolveBlktapSteps(req: DeleteRequest): Promise<BlktapDiskWork[]> {
  if (req.type !== 'external') throw new BackendError(`cannot delete ${req.snapshot}: VHD has no internal snapshots`);
  const out: BlktapDiskWork[] = [];
  for (const rec of req.disks) {
    const disk = req.domain.disks.find((d) => d.vdev === rec.vdev);
    if (!disk) throw new BackendError(`${req.domain.name} has no disk ${rec.vdev} for snapshot ${req.snapshot}`);
    if (!rec.frozenPath) throw new BackendError(`snapshot ${req.snapshot} records no frozen image for ${rec.vdev}`);
    // blktap's own reading first: parent UUIDs, timestamps and locators checked (a FormatError otherwise)
    await readVhdChain(disk.path);
    const planned = req.steps?.find((s) => s.vdev === rec.vdev);
    const extra = planned?.method === 'stream' ? planned.children.map((c) => dirname(c.path)) : [];
    const named = [rec.frozenPath, ...(planned ? stepImages(planned) : [])];
    const g = await localDiskGraph(req.domain, disk, [dirname(rec.frozenPath), ...extra], named);
    if (planned) {
      const why = stepProblem(g, planned);
      if (why) throw new BackendError(`disk ${rec.vdev}: the planned ${planned.method} of ${planned.image} cannot run: ${why}; nothing was changed (plan again)`);
      out.push({ disk, step: planned });
      continue;
    }
    const v = decideDiskDelete(g, rec, 'external', req.snapshot, { backend: 'blktap', unreadableDirs: new Set() });
    if ('blocked' in v) throw new BackendError(`cannot delete snapshot "${req.snapshot}" from disk ${rec.vdev}: ${v.blocked}; nothing was changed`);
    if ('step' in v) out.push({ disk, step: v.step });
  }
  return out;
}

/**
 * Runs each disk's step natively, journaled per child: F's sectors a child lacks are streamed into
 * it (the child reads the same throughout), the child is re-linked to F's parent, and F is unlinked
 * once every child names that parent and nothing else reads through F. A running domain's caller
 * holds its tapdisks paused. Idempotent: a child already re-linked is skipped, a missing F is done.
 */
export async function runBlktapSteps(work: BlktapDiskWork[], outer: StepJournal, progress?: Progress): Promise<void> {
  for (const { disk, step } of work) {
    const journal = carryingPlan(outer, step);
    const f = step.image;
    const parent = step.method === 'stream' ? step.parent : null;
    const detail = { vdev: disk.vdev, leaf: disk.path, frozen: f, parent };
    if (step.method === 'stream') {
      for (const c of step.children) {
        if (!(await exists(c.path))) continue;
        const p = await parentOf(c.path);
        if (p === parent) continue; // re-linked by an earlier run
        if (p !== f) throw new BackendError(`${c.path} reads through ${p ?? 'nothing'}, not ${f}; nothing more was changed`);
        const d = { ...detail, child: c.path };
        await journal.intent('blktap.stream', d);
        await streamVhdSectors(f, c.path, (done, total) => progress?.({ step: `blktap.stream:${disk.vdev}`, done, total }));
        await journal.done('blktap.stream');
        await journal.intent('blktap.relink', d);
        await relinkVhd(c.path, parent);
        await journal.done('blktap.relink');
      }
    } else if (step.method !== 'remove') {
      throw new BackendError(`disk ${disk.vdev}: a VHD chain cannot be changed by ${step.method}`);
    }
    if (!(await exists(f))) continue;
    for (const c of step.method === 'stream' ? step.children : []) {
      if ((await exists(c.path)) && (await parentOf(c.path)) !== parent) throw new BackendError(`${c.path} still reads through ${f}; it is kept`);
    }
    const still = (await localDiskGraph({ ...workDomain(disk), state: 'shutoff' }, disk, [dirname(f)], [f])).children(f);
    if (still.length) throw new BackendError(`${still.map((x) => x.path).join(', ')} read${still.length > 1 ? '' : 's'} through ${f}; it is kept`);
    // a side-branch end has no child: the detail names F itself there
    await journal.intent('blktap.remove-frozen', { ...detail, child: step.method === 'stream' ? (step.children[0]?.path ?? f) : f });
    await unlink(f);
    await fsyncDir(dirname(f));
    await journal.done('blktap.remove-frozen');
  }
}

/** A stand-in domain for reading one disk's graph again (its state does not matter for readers). */
function workDomain(disk: Disk) {
  return { key: 'readers', uuid: null, name: 'readers', state: 'shutoff' as const, disks: [disk] };
}
