import type { DiskBackend } from '../../model/domain.js';
import type { DiskSpec } from './parse-disk-spec.js';

// How single DISKSPEC items land in a DiskSpec: named settings, and positional items with the
// deprecated syntaxes of xl-disk-configuration(5). Each returns an error message or null.

const BACKENDTYPES: readonly DiskBackend[] = ['phy', 'tap', 'qdisk', 'standalone'];
/** Deprecated target prefixes: `raw:` `qcow:` `qcow2:` `vhd:` set the format ... */
const FORMAT_PREFIX = /^(raw|qcow2?|vhd):/;
/** ... these name a block script (`script=block-<name>`) ... */
const SCRIPT_PREFIX = /^(iscsi|e?nbd|drbd):/;
/** ... and these are stripped and ignored (they do not pick a backend; see choose-backend.ts). */
const IGNORED_PREFIX = /^(tapdisk|tap2?|aio|ioemu|file|phy):/;

/** A `key=value` item whose key is known (devtype= is handled by the caller). */
export function setKey(s: DiskSpec, key: string, v: string, piece: string): string | null {
  const value = v === '' ? null : v;
  if (key === 'format' || key === 'vdev' || key === 'script') s[key] = value;
  else if (key === 'backend') s.backendDomain = value;
  else if (key === 'access') return setAccess(s, v);
  else if (key === 'backendtype') {
    if (value !== null && !BACKENDTYPES.includes(value as DiskBackend)) return `unknown backendtype '${v}' (phy, tap, qdisk or standalone)`;
    s.backendtype = value as DiskBackend | null;
  } else s.other.push(piece);
  return null;
}

function setAccess(s: DiskSpec, v: string): string | null {
  if (v === 'ro' || v === 'r') s.access = 'ro';
  else if (v === 'rw' || v === 'w') s.access = 'rw';
  else if (v !== '') return `unknown access '${v}' (ro, r, rw or w)`;
  return null;
}

/** Old syntax `<vdev>:<devtype>` (e.g. `hdc:cdrom`); returns false when there is no colon. */
function vdevAndDevtype(s: DiskSpec, piece: string): string | null | false {
  const colon = piece.lastIndexOf(':');
  if (colon < 0) return false;
  const type = piece.slice(colon + 1);
  if (type === 'cdrom') s.cdrom = true;
  else if (type !== 'disk') return `unknown device type '${type}' in '${piece}' (cdrom or disk)`;
  s.vdev = piece.slice(0, colon) || null;
  return null;
}

/**
 * Fills the next unspecified positional slot: target, format, vdev, access. After a deprecated
 * prefix the format slot is skipped (old syntax `[<format>:]<target>,<vdev>[:<devtype>],<access>`),
 * and after an empty target a `vdev:devtype` item is the vdev (xend's `,hdc:cdrom,r`).
 */
export function positional(s: DiskSpec, given: Set<string>, piece: string): string | null {
  if (!given.has('target')) {
    given.add('target');
    let rest = piece;
    for (;;) {
      const f = FORMAT_PREFIX.exec(rest);
      const sc = f ? null : SCRIPT_PREFIX.exec(rest);
      const ig = f || sc ? null : IGNORED_PREFIX.exec(rest);
      const m = f ?? sc ?? ig;
      if (!m) break;
      const which = f ? 'format' : sc ? 'script' : null;
      if (which) {
        if (given.has(which)) return `${which} specified more than once`;
        given.add(which);
        if (f) s.format = m[1]!;
        else s.script = `block-${m[1]!}`;
      }
      s.prefixes.push(m[1]!);
      rest = rest.slice(m[0].length);
    }
    s.target = rest;
    return null;
  }
  if (!s.prefixes.length && !given.has('format')) {
    given.add('format');
    if (s.target === '') {
      const r = vdevAndDevtype(s, piece);
      if (r !== false) return r ?? (given.add('vdev'), null);
    }
    s.format = piece === '' ? null : piece;
    return null;
  }
  if (!given.has('vdev')) {
    given.add('vdev');
    const r = vdevAndDevtype(s, piece);
    if (r === false) s.vdev = piece === '' ? null : piece;
    return r || null;
  }
  if (!given.has('access')) {
    given.add('access');
    return setAccess(s, piece);
  }
  return `too many positional parameters at '${piece}'`;
}

