import type { Disk, DiskBackend } from '../../model/domain.js';
import { chooseBackend, type BackendProbe } from './choose-backend.js';
import { positional, setKey } from './disk-spec-slots.js';

/**
 * One DISKSPEC as written, per xl-disk-configuration(5), before defaults. A field is null when
 * the spec did not give it or gave it empty ("default values apply if ... specified with an
 * empty value").
 */
export interface DiskSpec {
  /** Target as written (deprecated prefixes removed); '' when explicitly empty. */
  target: string | null;
  format: string | null;
  vdev: string | null;
  access: 'ro' | 'rw' | null;
  cdrom: boolean;
  backendtype: DiskBackend | null;
  /** `backend=`: the backend domain's name (driver domains). */
  backendDomain: string | null;
  /** `script=`, or `block-<name>` from an iscsi:/nbd:/enbd:/drbd: prefix. */
  script: string | null;
  /** Deprecated prefixes stripped from the positional target, in order (e.g. ['tap', 'aio']). */
  prefixes: string[];
  /** Flags and settings xensnap does not interpret (direct-io-safe, discard, colo-host=...). */
  other: string[];
}

export const DISK_FORMATS = ['raw', 'qcow', 'qcow2', 'vhd', 'qed'] as const;
const FLAGS = new Set(['direct-io-safe', 'discard', 'no-discard', 'colo', 'trusted', 'untrusted']);
const KEYS = new Set(['format', 'vdev', 'access', 'backend', 'backendtype', 'script', 'colo-host', 'colo-port', 'colo-export', 'active-disk', 'hidden-disk', 'specification', 'transport']);
/** xen-vbd-interface(7): xvd*, hd*, sd* (with optional partition number), d<N>[p<M>], or a number. */
const VDEV_RE = /^(?:(?:xvd|hd|sd)[a-z]+[0-9]*|d[0-9]+(?:p[0-9]+)?|[0-9]+)$/;

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses a DISKSPEC string into its parameters. Never throws; the error names the problem. */
export function parseDiskSpec(text: string): Result<DiskSpec> {
  const s: DiskSpec = { target: null, format: null, vdev: null, access: null, cdrom: false, backendtype: null, backendDomain: null, script: null, prefixes: [], other: [] };
  const given = new Set<string>();
  const once = (name: string): string | null => (given.has(name) ? `${name} specified more than once` : (given.add(name), null));
  let pos = 0;
  while (pos < text.length) {
    while (text[pos] === ' ' || text[pos] === '\t') pos++;
    if (pos >= text.length) break;
    if (text.startsWith('target=', pos)) {
      // target= takes the rest of the spec, commas and trailing blanks included.
      if (given.has('target') && s.target !== '') return { ok: false, error: 'target specified more than once' };
      given.add('target');
      s.target = text.slice(pos + 'target='.length);
      break;
    }
    const comma = text.indexOf(',', pos);
    const piece = text.slice(pos, comma < 0 ? text.length : comma);
    pos = comma < 0 ? text.length : comma + 1;
    const eq = piece.indexOf('=');
    let err: string | null = null;
    if (eq >= 0) {
      const key = piece.slice(0, eq);
      const v = piece.slice(eq + 1);
      if (key === 'devtype') {
        if (v === 'cdrom') s.cdrom = true;
        else if (v !== '') err = `unknown devtype '${v}' (only cdrom is supported)`;
      } else if (!KEYS.has(key)) {
        err = `unknown parameter '${key}='`;
      } else {
        err = once(key) ?? setKey(s, key, v, piece);
      }
    } else if (piece === 'cdrom') {
      s.cdrom = true;
    } else if (FLAGS.has(piece)) {
      s.other.push(piece);
    } else {
      err = positional(s, given, piece);
    }
    if (err) return { ok: false, error: err };
  }
  return { ok: true, value: s };
}

/**
 * Parses a DISKSPEC into the Disk xensnap works with: defaults applied (format raw; access rw,
 * or ro for a CD-ROM; /dev/ prepended to a relative target) and the backend chosen as libxl
 * would (see choose-backend.ts). An empty CD-ROM drive gives path '' and format 'empty'.
 */
export function parseDisk(text: string, probe: BackendProbe = {}): Result<Disk> {
  const parsed = parseDiskSpec(text);
  if (!parsed.ok) return parsed;
  const s = parsed.value;
  if (!s.vdev) return { ok: false, error: 'no vdev given (vdev is mandatory)' };
  if (!VDEV_RE.test(s.vdev)) return { ok: false, error: `unrecognised vdev '${s.vdev}' (expected a form like xvda, hda, sda, xvda1 or d0p1)` };
  const format = s.format ?? 'raw';
  if (!(DISK_FORMATS as readonly string[]).includes(format)) return { ok: false, error: `unknown format '${format}' (raw, qcow, qcow2, vhd or qed)` };
  const target = s.target ?? '';
  if (target === '' && !s.cdrom) return { ok: false, error: 'no target given (only a cdrom drive may be empty)' };
  const path = target === '' || s.script || target.startsWith('/') ? target : `/dev/${target}`;
  const backend = chooseBackend({ backendtype: s.backendtype, script: s.script, format, path }, probe);
  if (!backend.ok) return backend;
  return {
    ok: true,
    value: {
      vdev: s.vdev,
      path,
      format: path === '' ? 'empty' : format,
      backend: backend.value,
      readonly: s.access ? s.access === 'ro' : s.cdrom,
      cdrom: s.cdrom,
    },
  };
}
