import type { DiskDeleteStep } from '../plan/plan-types.js';
import { FormatError } from '../errors.js';
import type { DomainState, SnapshotMode, SnapshotType } from '../model/policy.js';
import type { SnapshotDiskRecord } from '../model/snapshot.js';
import { isDomainKey } from '../state/domain-key.js';
import { hasBooleans, hasObject, hasObjectArray, hasStrings, isOneOf } from '../journal/step-detail.js';
import { isDiskPlan, type RevertOpDetail } from '../revert/revert-steps.js';
import type { RecordSeed } from './build-record.js';

/** One disk of the domain as the operation found it (for the record recovery may write). */
export interface DiskPathInfo {
  vdev: string;
  path: string;
  format: string;
  backend: string;
}

interface OpBase {
  domainKey: string;
  domainName: string;
  snapshot: string;
  backend: 'qdisk' | 'blktap';
}

/** A create: recovery rolls it back, rolls it forward once the record step began, or keeps it. */
export interface CreateOp extends OpBase {
  action: 'create';
  detail: { type: SnapshotType; mode: SnapshotMode; disks: string[]; domainState: DomainState; seed: RecordSeed; diskPaths: DiskPathInfo[] };
}

/** A delete: recovery finishes it, on the disks the crash reached and on those it did not. */
export interface DeleteOp extends OpBase {
  action: 'delete';
  /** `steps`: the plan's step of each disk (absent for plans made without observed images). */
  detail: { type: SnapshotType; mode: SnapshotMode; disks: string[]; domainState: DomainState; snapshotDisks: SnapshotDiskRecord[]; diskPaths: DiskPathInfo[]; steps?: DiskDeleteStep[] };
}

/** A revert (`snapshot` is the target): recovery rolls it back or finishes it, see revert-recover.ts. */
export interface RevertOp extends OpBase {
  action: 'revert';
  detail: RevertOpDetail;
}

/** Every operation that writes a journal, by its action. */
export type JournalOp = CreateOp | DeleteOp | RevertOp;
export type JournalAction = JournalOp['action'];

const TYPES = ['internal', 'external'];
const MODES = ['disk-only', 'live'];
const STATES = ['running', 'paused', 'shutoff'];

function commonDetail(d: object): boolean {
  return isOneOf(d, 'type', TYPES) && isOneOf(d, 'mode', MODES) && isOneOf(d, 'domainState', STATES) && Array.isArray((d as { disks?: unknown }).disks) && hasObjectArray(d, 'diskPaths');
}

function revertDetail(d: object): boolean {
  const disks = (d as { disks?: unknown }).disks;
  const memory = (d as { memory?: unknown }).memory;
  return (
    hasStrings(d, ['target', 'preRevert']) && isOneOf(d, 'targetType', TYPES) && isOneOf(d, 'preRevertType', TYPES) && hasBooleans(d, ['stopFirst']) &&
    isOneOf(d, 'stateBefore', STATES) && isOneOf(d, 'after', STATES) && Array.isArray(disks) && disks.length > 0 && disks.every((x) => typeof x === 'object' && x !== null && isDiskPlan(x)) &&
    (memory === null || (typeof memory === 'object' && isOneOf(memory as object, 'kind', ['file', 'internal'])))
  );
}

/**
 * The typed operation of a journal's begin line, or a FormatError naming the journal file: an
 * unknown action, or a known one without the fields its recovery needs, is never guessed at.
 */
export function parseJournalOp(raw: unknown, file: string): JournalOp {
  const o = raw as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new FormatError(file, what);
  };
  if (!hasStrings(o, ['action', 'domainName', 'snapshot'])) fail('the begin line names no action, domain or snapshot');
  if (typeof o.domainKey !== 'string' || !isDomainKey(o.domainKey)) fail(`the begin line has no valid domain key (${JSON.stringify(o.domainKey)})`);
  if (!isOneOf(o, 'backend', ['qdisk', 'blktap'])) fail(`unknown backend ${JSON.stringify(o.backend)}`);
  if (!hasObject(o, 'detail')) fail('the begin line has no detail');
  const d = o.detail as object;
  const action = o.action as string;
  switch (action) {
    case 'create':
      if (!commonDetail(d) || !hasObject(d, 'seed')) fail('a create without its type, mode, disks or record seed');
      break;
    case 'delete':
      if (!commonDetail(d) || !hasObjectArray(d, 'snapshotDisks')) fail('a delete without its type, mode or disks');
      break;
    case 'revert':
      if (!revertDetail(d)) fail('a revert without its plan (target, pre-revert snapshot, disks)');
      break;
    default:
      fail(`unknown operation ${JSON.stringify(action)}`);
  }
  return o as unknown as JournalOp;
}

/** A domain key and name from a begin line that is otherwise unusable (to block the right domain). */
export function opIdentity(raw: unknown): { domainKey: string | null; domainName: string | null; action: string | null; snapshot: string | null } {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const key = s(o.domainKey);
  return { domainKey: key && isDomainKey(key) ? key : null, domainName: s(o.domainName), action: s(o.action), snapshot: s(o.snapshot) };
}
