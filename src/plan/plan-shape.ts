import { SNAPSHOT_NAME_RE } from '../model/policy.js';

type Check = (v: unknown, path: string) => string | null;

const str: Check = (v, p) => (typeof v === 'string' ? null : `${p} must be a string`);
const strOrNull: Check = (v, p) => (v === null || typeof v === 'string' ? null : `${p} must be a string or null`);
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : `${p} must be a number ≥ 0`);
const oneOf = (...xs: string[]): Check => (v, p) => (xs.includes(v as string) ? null : `${p} must be one of ${xs.join(', ')}`);
const arrayOf = (c: Check): Check => (v, p) => {
  if (!Array.isArray(v)) return `${p} must be an array`;
  for (let i = 0; i < v.length; i++) {
    const e = c(v[i], `${p}/${i}`);
    if (e) return e;
  }
  return null;
};
const object = (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} must be an object`;
  const o = v as Record<string, unknown>;
  for (const [k, c] of Object.entries(fields)) {
    if (!(k in o)) return `${p}/${k} is missing`;
    const e = c(o[k], `${p}/${k}`);
    if (e) return e;
  }
  for (const [k, c] of Object.entries(optional)) {
    if (k in o) {
      const e = c(o[k], `${p}/${k}`);
      if (e) return e;
    }
  }
  for (const k of Object.keys(o)) if (!(k in fields) && !(k in optional)) return `${p}/${k} is not a plan field`;
  return null;
};
const snapshotName: Check = (v, p) => (typeof v === 'string' && SNAPSHOT_NAME_RE.test(v) ? null : `${p} must be a snapshot name`);
const iso: Check = (v, p) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : `${p} must be an ISO date`);
const isoOrNull: Check = (v, p) => (v === null ? null : iso(v, p));

const domainRef = object({ key: str, uuid: strOrNull, name: str });
const findingDomain: Check = (v, p) => (v === null ? null : object({ uuid: strOrNull, name: str })(v, p));

const stepBase = { vdev: str, image: str, bytesToCopy: num, tempBytes: num, chainDepthAfter: num };
/** One disk's delete step: the variant is chosen by `method`, so each is checked exactly. */
const deleteStep: Check = (v, p) => {
  const m = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).method : undefined;
  if (m === 'delete-tag') return object({ ...stepBase, method: str, tag: str, via: oneOf('qemu-img', 'qmp') })(v, p);
  if (m === 'remove') return object({ ...stepBase, method: str })(v, p);
  if (m === 'stream') {
    const child = object({ path: str, how: oneOf('rebase', 'cluster', 'block-stream', 'vhd-stream') });
    return object({ ...stepBase, method: str, parent: strOrNull, parentFormat: strOrNull, children: arrayOf(child) })(v, p);
  }
  if (m === 'commit') return object({ ...stepBase, method: str, child: str, parent: strOrNull })(v, p);
  return `${p}/method must be one of delete-tag, remove, stream, commit`;
};

const action = object(
  {
    action: oneOf('create', 'delete'),
    domain: domainRef,
    policy: strOrNull,
    snapshot: snapshotName,
    slot: isoOrNull,
    mode: oneOf('disk-only', 'live'),
    type: oneOf('internal', 'external'),
    disks: arrayOf(str),
    reason: str,
  },
  {
    merge: object({ method: oneOf('delete-tag', 'remove', 'stream', 'commit', 'mixed', 'none'), bytesToCopy: num, tempBytes: num, chainDepthAfter: num, disks: arrayOf(deleteStep) }),
    estimate: object({ bytes: num }, { memoryAssumed: (v, p) => (v === true ? null : `${p} must be true`) }),
    frees: num,
  },
);

const heldCreate = object(
  { domain: domainRef, policy: str, snapshot: snapshotName, reason: oneOf('free-space', 'chain-depth') },
  { fs: str, vdev: str },
);
const heldDelete = object({ domain: domainRef, policy: strOrNull, snapshot: snapshotName, fs: str, neededBytes: num, freeBytes: num });
const filesystem = object({ id: str, mount: str, freeBytes: num, totalBytes: num, limitBytes: num, createBytes: num, freesBytes: num });

const plan = object({
  formatVersion: (v, p) => (v === 1 ? null : `${p} must be 1`),
  at: iso,
  fingerprint: (v, p) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? null : `${p} must be a sha256 hex digest`),
  scope: (v, p) => (v === null ? null : arrayOf(str)(v, p)),
  policies: arrayOf(object({ name: str, revision: strOrNull })),
  actions: arrayOf(action),
  kept: arrayOf(object({ domain: domainRef, policy: strOrNull, snapshot: str, rules: arrayOf(str) }, { why: str })),
  findings: arrayOf(object({ kind: str, domain: findingDomain, message: str })),
}, { capacity: object({ filesystems: arrayOf(filesystem), held: arrayOf(heldCreate) }, { heldDeletes: arrayOf(heldDelete) }) });

/** Null when `data` has exactly the Plan shape, else the first problem with its JSON path. */
export function checkPlanShape(data: unknown): string | null {
  return plan(data, '');
}
