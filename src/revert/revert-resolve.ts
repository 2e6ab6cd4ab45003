import type { ClassifiedSteps } from '../apply/classify-steps.js';
import type { RevertOp } from '../apply/journal-ops.js';
import type { RecoverableBackend } from '../backends/backend.js';
import { frozenImagePath } from '../backends/backend.js';
import type { HypervisorDriver, LiveState } from '../hypervisor/driver.js';
import type { Domain } from '../model/domain.js';
import { BackendError } from '../errors.js';
import { removeIfPresent, undoDisk } from './revert-disk.js';
import type { RecordStore } from '../state/record-store.js';

/** What resolving a revert works with. */
export interface RevertResolveDeps {
  stateDir: string;
  driver: HypervisorDriver;
  backend: RecoverableBackend;
  records: RecordStore;
}

/**
 * Where a resolved revert left the domain: exactly one of two states. `reverted`: every disk
 * shows the target and the pre-revert snapshot holds the state before; `as-before`: every disk is
 * as it was and no pre-revert snapshot exists. `stopped`: --stop had stopped the domain (a stop
 * cannot be undone, so an `as-before` domain that ran is now shut off).
 */
export interface RevertOutcome {
  state: 'reverted' | 'as-before';
  domainState: LiveState;
  stopped: boolean;
  messages: string[];
}

/** The operator's words for an outcome. */
export function describeOutcome(op: RevertOp, o: RevertOutcome): string {
  const name = op.domainName;
  const now = o.domainState === 'shutoff' ? 'shut off' : o.domainState;
  if (o.state === 'reverted') {
    return `${name} is reverted to ${op.detail.target}; the previous state is snapshot ${op.detail.preRevert}; ${name} is ${now}${o.stopped ? ' (--stop had stopped it)' : ''}`;
  }
  return `${name} is as before the revert: its disks are as they were and no pre-revert snapshot was kept; ${name} is ${now}${o.stopped ? ' because --stop had stopped it' : ''}`;
}

/**
 * Brings a revert to one of its two end states, from its journal (the same code after an
 * in-process failure and after a crash). The revert is committed — it can only go forward — once
 * every disk is switched and, for a snapshot with memory, the hypervisor holds the restored
 * domain: the restore is then finished (never restarted: recovery never starts a domain). Before
 * that it is rolled back: each disk's switch undone from the state of its files, the backend's
 * pre-revert create rolled back, its record removed, the new leaves' temporary files removed.
 * Files are only touched while the domain is shut off.
 */
export async function resolveRevert(op: RevertOp, steps: ClassifiedSteps, domain: Domain, deps: RevertResolveDeps): Promise<RevertOutcome> {
  const d = op.detail;
  const rs = steps.revert;
  const state = await deps.driver.status(domain);
  const stopAsked = rs.some((s) => s.step === 'revert.stop') && d.stateBefore !== 'shutoff';
  const switched = (vdev: string) => rs.some((s) => s.step === 'revert.switch-disk' && s.detail.vdev === vdev && s.done);
  const allSwitched = d.disks.filter((x) => x.method !== 'load-tag').every((x) => switched(x.vdev));
  const restoreBegun = rs.some((s) => s.step === 'revert.restore');
  const touched = steps.backend.length > 0 || rs.some((s) => s.step === 'revert.switch-disk') || restoreBegun;
  const messages: string[] = [];

  if (allSwitched && (!d.memory || (restoreBegun && state !== 'shutoff'))) {
    let now = state;
    if (d.memory) {
      const paused = d.after === 'paused';
      const how = { internalTag: d.memory.kind === 'internal' ? d.memory.tag : null, disks: domain.disks.filter((x) => d.disks.some((p) => p.vdev === x.vdev)), paused };
      const finished = deps.driver.finishRestore ? await deps.driver.finishRestore(domain, how) : await resumeUnlessPaused(deps.driver, domain, state, paused);
      now = await deps.driver.status(domain);
      if (finished === 'aborted') messages.push(`the restore could not be finished before the guest ran; its QEMU was quit`);
      else return forward(op, steps, deps, now, false, messages);
    } else return forward(op, steps, deps, now, stopAsked, messages);
  }

  const nowState = await deps.driver.status(domain);
  if (touched && nowState !== 'shutoff') {
    throw new BackendError(`domain ${op.domainName} is ${nowState}, but its interrupted revert had begun changing the disks; it is rolled back once the domain is shut off`);
  }
  const pre = { tag: d.preRevertType === 'internal' ? d.preRevert : null, frozen: null as string | null };
  // Every disk, switched or not: undoing is a no-op where nothing happened, and the files (not the
  // journal) tell whether a switch whose done was never written had happened.
  for (const disk of touched ? [...d.disks].reverse() : []) {
    const m = await undoDisk(disk, { ...pre, frozen: d.preRevertType === 'external' ? frozenImagePath(disk.leaf, d.preRevert) : null });
    if (m) messages.push(m);
  }
  if (steps.backend.length) {
    const r = await deps.backend.recover({ action: 'create', domain: { ...domain, state: 'shutoff' }, snapshot: d.preRevert, type: d.preRevertType, steps: steps.backend });
    if (r.outcome === 'kept') throw new BackendError(`the pre-revert snapshot ${d.preRevert} could not be rolled back: ${r.messages.join('; ')}`);
    messages.push(...r.messages.filter((m) => !/nothing to undo|is the image it was/.test(m)));
  }
  if (steps.record.some((s) => s.step === 'record.write') && (await deps.records.exists(deps.stateDir, op.domainKey, d.preRevert))) {
    await deps.records.remove(deps.stateDir, op.domainKey, d.preRevert);
  }
  for (const disk of d.disks) {
    await removeIfPresent(disk.temp);
    await removeIfPresent(disk.scratch);
  }
  return { state: 'as-before', domainState: nowState, stopped: stopAsked && nowState === 'shutoff', messages };
}

/** A committed revert: the pre-revert record written (its intent carries it), leftovers removed. */
async function forward(op: RevertOp, steps: ClassifiedSteps, deps: RevertResolveDeps, now: LiveState, stopped: boolean, messages: string[]): Promise<RevertOutcome> {
  const write = steps.record.find((s) => s.step === 'record.write');
  if (write?.step === 'record.write' && !(await deps.records.exists(deps.stateDir, op.domainKey, op.detail.preRevert))) {
    await deps.records.write(deps.stateDir, write.detail.record, op.domainKey);
  }
  for (const disk of op.detail.disks) await removeIfPresent(disk.scratch);
  return { state: 'reverted', domainState: now, stopped, messages };
}

async function resumeUnlessPaused(driver: HypervisorDriver, domain: Domain, state: LiveState, paused: boolean): Promise<'finished'> {
  if (!paused && state === 'paused') await driver.resume(domain);
  return 'finished';
}
