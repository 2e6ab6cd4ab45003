import { METADATA_FORMAT_VERSION } from '../model/snapshot.js';
import { POLICY_NAME_RE, SNAPSHOT_NAME_RE } from '../model/policy.js';
import { isUuidKey } from './domain-key.js';

// Field ranges checked by the pattern itself: cheaper than Date.parse on tens of thousands of records.
const ISO_UTC_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type Obj = Record<string, unknown>;
type Check = (v: unknown) => string | null; // a problem, or null when fine

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === 'string' ? null : 'expected a string');
const nonEmpty: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'expected a non-empty string');
const orNull = (c: Check): Check => (v) => {
  const problem = v === null ? null : c(v);
  return problem && `${problem} or null`;
};
const oneOf = (...xs: string[]): Check => (v) => (xs.includes(v as string) ? null : `expected one of ${xs.map((x) => JSON.stringify(x)).join(', ')}`);
const matches = (re: RegExp, what: string): Check => (v) => str(v) ?? (re.test(v as string) ? null : `not ${what}`);
const isoUtc: Check = (v) =>
  str(v) ?? (ISO_UTC_RE.test(v as string) ? null : 'expected an ISO-8601 UTC time like 2024-01-01T00:00:00Z');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected true or false');

const RECORD_FIELDS: Record<string, Check> = {
  formatVersion: (v) =>
    !Number.isInteger(v) ? 'expected an integer' : v === METADATA_FORMAT_VERSION ? null : `unsupported format version ${v as number} (this xensnap reads ${METADATA_FORMAT_VERSION})`,
  name: matches(SNAPSHOT_NAME_RE, 'a valid snapshot name'),
  description: str,
  domain: (v) => (isObj(v) ? null : 'expected an object'),
  createdAt: isoUtc,
  slot: orNull(isoUtc),
  policy: orNull(matches(POLICY_NAME_RE, 'a valid policy name')),
  policyRevision: orNull(str),
  deletionPolicy: oneOf('Retain', 'Delete'),
  managedBy: oneOf('xensnap'),
  mode: oneOf('disk-only', 'live'),
  type: oneOf('internal', 'external'),
  domainState: oneOf('running', 'paused', 'shutoff'),
  memoryFile: orNull(nonEmpty),
  pinned: bool,
  disks: (v) => (Array.isArray(v) ? null : 'expected an array'),
  quiesced: bool,
  requested: (v) => {
    if (!isObj(v)) return 'expected an object';
    const keys = Object.keys(v).sort().join(',');
    if (keys !== 'mode,quiesce') return 'expected {mode, quiesce}';
    return oneOf('disk-only', 'live')(v.mode) ?? oneOf('off', 'preferred', 'required')(v.quiesce);
  },
};
/** Fields records written before xensnap recorded consistency do not have. */
const OPTIONAL_RECORD_FIELDS = new Set(['quiesced', 'requested']);
const DOMAIN_FIELDS: Record<string, Check> = { uuid: orNull(matches(UUID_RE, 'a UUID')), name: nonEmpty };
const DISK_FIELDS: Record<string, Check> = {
  vdev: nonEmpty,
  format: nonEmpty,
  backend: oneOf('qdisk', 'tap', 'phy', 'standalone'),
  tag: nonEmpty,
  frozenPath: nonEmpty,
};
const OPTIONAL_DISK_FIELDS = new Set(['tag', 'frozenPath']);

const NO_OPTIONAL = new Set<string>();
// Field tables as arrays, built once: this runs for every one of tens of thousands of records.
const entriesOf = new Map<Record<string, Check>, [string, Check][]>(
  [RECORD_FIELDS, DOMAIN_FIELDS, DISK_FIELDS].map((t) => [t, Object.entries(t)]),
);

/** Checks one object against a field table: missing, unknown and wrongly typed fields. */
function checkFields(o: Obj, fields: Record<string, Check>, path: string, out: string[], optional = NO_OPTIONAL): void {
  for (const [k, check] of entriesOf.get(fields)!) {
    if (!Object.hasOwn(o, k)) {
      if (!optional.has(k)) out.push(`${path}/${k}: missing`);
      continue;
    }
    const problem = check(o[k]);
    if (problem) out.push(`${path}/${k}: ${problem}`);
  }
  for (const k in o) if (!Object.hasOwn(fields, k)) out.push(`${path}/${k}: unknown field`);
}

/**
 * Checks a parsed record against SnapshotRecord, strictly (unknown fields are problems), and
 * against where it was found: its name must be the one in the file name, and its domain must
 * be the folder's (the UUID for a UUID key, the name for a `name-` key). Returns the problems
 * as `/json/pointer: message` strings, in field order; empty when the record is valid.
 */
export function recordProblems(v: unknown, fileName: string, domainKey: string): string[] {
  if (!isObj(v)) return ['expected a JSON object'];
  const out: string[] = [];
  checkFields(v, RECORD_FIELDS, '', out, OPTIONAL_RECORD_FIELDS);
  if (typeof v.name === 'string' && `snapshotdata-${v.name}.json` !== fileName) {
    out.push(`/name: ${JSON.stringify(v.name)} does not match the file name ${fileName}`);
  }
  if (isObj(v.domain)) {
    const before = out.length;
    checkFields(v.domain, DOMAIN_FIELDS, '/domain', out);
    if (out.length === before) {
      const d = v.domain as { uuid: string | null; name: string };
      if (isUuidKey(domainKey) && d.uuid?.toLowerCase() !== domainKey.toLowerCase()) {
        out.push(`/domain/uuid: ${JSON.stringify(d.uuid)} does not match the folder ${domainKey}`);
      } else if (!isUuidKey(domainKey) && `name-${d.name}` !== domainKey) {
        out.push(`/domain/name: ${JSON.stringify(d.name)} does not match the folder ${domainKey}`);
      }
    }
  }
  if (Array.isArray(v.disks)) {
    v.disks.forEach((d, i) => {
      const p = `/disks/${i}`;
      if (!isObj(d)) return void out.push(`${p}: expected an object`);
      checkFields(d, DISK_FIELDS, p, out, OPTIONAL_DISK_FIELDS);
      // Each disk holds either an internal tag or an external frozen image, as its snapshot's type says.
      if (v.type === 'external' && !('frozenPath' in d)) out.push(`${p}/frozenPath: missing (external snapshot)`);
      if (v.type === 'external' && 'tag' in d) out.push(`${p}/tag: not allowed in an external snapshot`);
      if (v.type === 'internal' && 'frozenPath' in d) out.push(`${p}/frozenPath: not allowed in an internal snapshot`);
    });
  }
  return out;
}
