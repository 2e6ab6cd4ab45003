import { guestNodeSettings } from './node-settings.js';
import { BackendError } from '../../errors.js';
import type { Domain } from '../../model/domain.js';
import type { SnapshotDiskRecord } from '../../model/snapshot.js';
import type { QmpClient } from '../../qmp/qmp-client.js';
import { noJournal, type RecoveryReport, type RecoveryRequest, type RecoveryStep } from '../backend.js';
import { findTop, imagePathOf, readBlockGraph } from './node-graph.js';
import { deleteOffline, recoverOffline, recoverOfflineOperation, type RecoveryOutcome } from './offline.js';
import { deleteQdiskSnapshot } from './graph-delete.js';
import { plannedStepsOf, recordsOfSteps } from '../planned-steps.js';
import type { DiskDeleteStep } from '../../plan/plan-types.js';
import { pathExists, undoDisk, type DiskWork } from './online-external-undo.js';
import type { FileLocking } from './online-file-swap.js';
import { isQdiskOfflineStep } from './offline-steps.js';
import { isQdiskOnlineStep, onlineCreateStepName } from './online-steps.js';

const str = (d: Record<string, unknown>, k: string): string => {
  const v = d[k];
  if (typeof v !== 'string' || !v) throw new BackendError(`journal step detail lacks ${k}`);
  return v;
};

function report(outcomes: Array<RecoveryOutcome['action']>, messages: string[]): RecoveryReport {
  const outcome = (['kept', 'rolled-back', 'finished'] as const).find((o) => outcomes.includes(o)) ?? 'nothing-to-do';
  return { outcome, messages };
}

/** Per-vdev details of an online external create, merged over its steps. */
function externalCreates(steps: RecoveryStep[]): Map<string, { detail: Record<string, unknown>; reached: Set<string> }> {
  const out = new Map<string, { detail: Record<string, unknown>; reached: Set<string> }>();
  for (const s of steps) {
    const name = onlineCreateStepName(s.step);
    const vdev = s.detail.vdev;
    if (!name || typeof vdev !== 'string') continue;
    const e = out.get(vdev) ?? { detail: {}, reached: new Set<string>() };
    Object.assign(e.detail, s.detail);
    e.reached.add(name);
    out.set(vdev, e);
  }
  return out;
}

/**
 * Brings an interrupted qdisk operation to a consistent end. Offline journals go to the offline
 * recovery. Online creates are rolled back — through QMP while the QEMU lives (graph-driven, as
 * the in-process undo), through files once it is gone — unless the transaction happened (kept).
 * Online deletes are finished by re-running the idempotent delete, online or offline by state.
 */
export async function recoverQdisk(
  req: RecoveryRequest,
  connect: (d: Domain) => Promise<QmpClient>,
  locking: FileLocking = 'auto',
): Promise<RecoveryReport> {
  const live = req.domain.state !== 'shutoff';
  const foreign = req.steps.find((s) => !isQdiskOfflineStep(s) && !isQdiskOnlineStep(s));
  if (foreign) throw new BackendError(`journal step ${foreign.step} is not a well-formed qdisk step`);
  if (req.action === 'delete') {
    const planned = plannedStepsOf(req.steps);
    if (planned.length) return finishPlannedDelete(req, planned, live, connect);
  }
  if (req.steps.some((s) => isQdiskOfflineStep(s))) {
    if (live) throw new BackendError(`domain "${req.domain.name}" is ${req.domain.state}: its interrupted offline operation is recovered once it is shut off`);
    const outs = await recoverOfflineOperation(req.steps.map((s) => ({ step: s.step, detail: s.detail })));
    return report(outs.map((o) => o.action), outs.map((o) => o.message));
  }
  if (req.action === 'delete') {
    // journals written before deletes carried their planned steps: the disks they name, decided again
    const records: SnapshotDiskRecord[] = [];
    for (const s of req.steps) {
      const vdev = str(s.detail, 'vdev');
      if (records.some((r) => r.vdev === vdev)) continue;
      const disk = req.domain.disks.find((d) => d.vdev === vdev);
      const base = { vdev, format: disk?.format ?? 'qcow2', backend: disk?.backend ?? 'qdisk' };
      records.push(req.type === 'internal' ? { ...base, tag: str(s.detail, 'tag') } : { ...base, frozenPath: str(s.detail, 'frozen') });
    }
    return finishDelete(req, records, undefined, live, connect);
  }
  if (req.type === 'internal') return rollbackInternal(req, live, connect);
  return rollbackExternal(req, live, connect, locking);
}

/** An interrupted delete that journaled its planned steps: run them again (each part is idempotent). */
function finishPlannedDelete(req: RecoveryRequest, planned: DiskDeleteStep[], live: boolean, connect: (d: Domain) => Promise<QmpClient>): Promise<RecoveryReport> {
  return finishDelete(req, recordsOfSteps(planned, req.domain), planned, live, connect);
}

async function finishDelete(req: RecoveryRequest, records: SnapshotDiskRecord[], steps: DiskDeleteStep[] | undefined, live: boolean, connect: (d: Domain) => Promise<QmpClient>): Promise<RecoveryReport> {
  const del = { domain: req.domain, snapshot: req.snapshot, type: req.type, disks: records, ...(steps ? { steps } : {}) };
  if (!live) await deleteOffline(del, noJournal);
  else {
    const c = await connect(req.domain);
    try {
      await deleteQdiskSnapshot(del, { domain: req.domain, client: c, journal: noJournal });
    } finally {
      c.close();
    }
  }
  return { outcome: 'finished', messages: [`snapshot "${req.snapshot}" deleted from ${records.map((r) => r.vdev).join(', ')}`] };
}

async function rollbackInternal(req: RecoveryRequest, live: boolean, connect: (d: Domain) => Promise<QmpClient>): Promise<RecoveryReport> {
  const disks = req.steps.flatMap((s) => (Array.isArray(s.detail.disks) ? (s.detail.disks as Array<Record<string, unknown>>) : []));
  if (!live) {
    const outs = [];
    for (const d of disks) outs.push(await recoverOffline('qdisk-offline.internal-create', { vdev: d.vdev, image: d.path, tag: req.snapshot }));
    return report(outs.map((o) => o.action), outs.map((o) => o.message));
  }
  const c = await connect(req.domain);
  try {
    const graph = await readBlockGraph(c);
    const actions: Array<RecoveryOutcome['action']> = [];
    for (const d of disks) {
      const top = findTop(graph, str(d, 'path'), str(d, 'vdev'));
      if (!top.snapshots.includes(req.snapshot)) continue;
      await c.execute('blockdev-snapshot-delete-internal-sync', { device: top.name, name: req.snapshot });
      actions.push('rolled-back');
    }
    return report(actions, [`internal snapshot "${req.snapshot}" is on no disk`]);
  } finally {
    c.close();
  }
}

async function rollbackExternal(
  req: RecoveryRequest,
  live: boolean,
  connect: (d: Domain) => Promise<QmpClient>,
  locking: FileLocking,
): Promise<RecoveryReport> {
  const perDisk = externalCreates(req.steps);
  if (!live) {
    // QEMU is gone: only files matter, and the offline rollback knows every file state.
    const outs = [];
    for (const [vdev, e] of perDisk) {
      const d = e.detail;
      outs.push(await recoverOffline('qdisk-offline.external-switch', { vdev, leaf: d.leaf, frozen: d.frozen, temp: d.newPath }));
    }
    return report(outs.map((o) => o.action), outs.map((o) => o.message));
  }
  const c = await connect(req.domain);
  try {
    const graph = await readBlockGraph(c);
    const problems: string[] = [];
    const messages: string[] = [];
    let rolled = false;
    for (const [vdev, e] of perDisk) {
      const d = e.detail;
      const top = graph.nodes.get(str(d, 'topNode'));
      if (!top) throw new BackendError(`disk ${vdev}: node ${str(d, 'topNode')} is gone from QEMU; cannot tell how far the snapshot got`);
      // blockdev-snapshot is what gives the overlay its backing: that tells whether the transaction ran.
      if (typeof d.overlayNode === 'string' && graph.nodes.get(d.overlayNode)?.backing === top.name) {
        messages.push(`disk ${vdev}: the transaction happened; the snapshot is kept`);
        continue;
      }
      const work: DiskWork = {
        vdev, backend: 'qdisk', leaf: str(d, 'leaf'), frozen: str(d, 'frozen'), newPath: str(d, 'newPath'), top,
        origFile: typeof d.oldFileNode === 'string' ? d.oldFileNode : (top.file ?? `${top.name}-file`),
        settings: guestNodeSettings(graph, top, locking, req.domain.disks.find((x) => x.vdev === vdev)),
        names: {
          tmp: String(d.tmpNode ?? ''), frozenFile: String(d.newFileNode ?? ''), overlayFile: String(d.overlayFileNode ?? ''),
          overlay: String(d.overlayNode ?? ''), undoTmp: `xsr${Date.now().toString(16).slice(-5)}-utmp`,
        },
        reached: e.reached,
      };
      const ours = [work.names.tmp, work.names.frozenFile, work.names.overlayFile, work.names.overlay].filter((n) => n && graph.nodes.has(n));
      const dirty =
        ours.length > 0 || imagePathOf(graph, top) !== work.leaf || (await pathExists(work.frozen)) || (await pathExists(work.newPath));
      if (!dirty) {
        messages.push(`disk ${vdev}: nothing left to undo`);
        continue;
      }
      problems.push(...(await undoDisk(c, work)));
      rolled = true;
      messages.push(`disk ${vdev}: rolled back to ${work.leaf}`);
    }
    if (problems.length) throw new BackendError(`rolling back snapshot "${req.snapshot}" left problems: ${problems.join('; ')}`);
    const kept = messages.some((m) => m.endsWith('kept'));
    return { outcome: kept ? 'kept' : rolled ? 'rolled-back' : 'nothing-to-do', messages };
  } finally {
    c.close();
  }
}
