import { isAbsolute, normalize } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { type Diagnostic, sortDiagnostics } from '../model/diagnostic.js';
import { DOMAIN_NAME_RE, UUID_RE } from './domain-key.js';

/** One disk of a qemu inventory entry; `path` is absolute and normalised. */
export interface QemuInventoryDisk {
  vdev: string;
  path: string;
  format: 'qcow2' | 'raw' | 'vhd';
  node: string | null;
}

/** One validated domain of the qemu inventory YAML; `uuid` is lower case or null. */
export interface QemuInventoryEntry {
  name: string;
  uuid: string | null;
  qmp: string;
  disks: QemuInventoryDisk[];
  /** qemu-system-x86_64 arguments that start this domain (needed only to restore a live snapshot). */
  launch: string[] | null;
}

const VDEV_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/;
/** QEMU node names: a letter, then letters, digits, '-', '.', '_'; at most 31 characters. */
const NODE_RE = /^[A-Za-z][A-Za-z0-9._-]{0,30}$/;
const FORMATS = ['qcow2', 'raw', 'vhd'];

/**
 * Parses and validates the qemu inventory (`domains: [{name, uuid?, qmp, disks: [{vdev, path,
 * format, node?}], launch?: [QEMU arguments]}]`). Never throws: every problem is a Diagnostic with file:line:col and a path;
 * `entries` is meaningful only when `diagnostics` is empty. Unknown keys, duplicate names,
 * UUIDs, vdevs and image paths are errors. `uuid` is optional: without one the domain is keyed
 * by name, as an xl.cfg without a uuid line.
 */
export function parseQemuInventory(text: string, file: string): { entries: QemuInventoryEntry[]; diagnostics: Diagnostic[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const report = (offset: number, path: string, message: string) => {
    const p = lc.linePos(offset);
    diagnostics.push({ file, line: p.line, col: p.col, path, message });
  };
  const at = (n: Node | null | undefined, path: string, message: string) => report(n?.range?.[0] ?? 0, path, message);
  for (const e of doc.errors) report(e.pos[0], '', e.message);
  if (diagnostics.length) return { entries: [], diagnostics: sortDiagnostics(diagnostics) };

  /** Checks a map's keys and returns its values by key; reports unknown and missing keys. */
  const fields = (n: unknown, path: string, allowed: string[], required: string[], what: string): Map<string, Node | null> | null => {
    if (!isMap(n)) return void at(n as Node, path, `${what} must be a map`), null;
    const out = new Map<string, Node | null>();
    for (const pair of n.items as Pair<Node, Node | null>[]) {
      const k = isScalar(pair.key) ? String(pair.key.value) : null;
      if (k === null || !allowed.includes(k)) at(pair.key, `${path}/${k ?? '?'}`, `unknown key '${k ?? '?'}' in ${what} (allowed: ${allowed.join(', ')})`);
      else out.set(k, pair.value);
    }
    for (const k of required) if (!out.has(k)) at(n, path, `${what} is missing '${k}'`);
    return out;
  };
  const str = (n: Node | null | undefined, path: string, what: string, re: RegExp | null, hint: string): string | null => {
    if (!isScalar(n) || typeof n.value !== 'string') return void at(n, path, `${what} must be a string`), null;
    if (re && !re.test(n.value)) return void at(n, path, `${what} '${n.value}' ${hint}`), null;
    return n.value;
  };
  const absPath = (n: Node | null | undefined, path: string, what: string): string | null => {
    const v = str(n, path, what, null, '');
    if (v === null) return null;
    if (!isAbsolute(v) || normalize(v) !== v || v.endsWith('/') || v.includes('\0')) return void at(n, path, `${what} '${v}' must be an absolute, normalised file path`), null;
    return v;
  };
  /** A list of strings: QEMU arguments, passed as an argument array (never through a shell). */
  const argvList = (n: Node | null | undefined, path: string): string[] | null => {
    if (!isSeq(n) || n.items.length === 0) return void at(n, path, "'launch' must be a non-empty list of QEMU arguments"), null;
    const out = (n.items as Node[]).map((x, k) => str(x, `${path}/${k}`, 'a launch argument', null, ''));
    return out.every((x): x is string => x !== null) ? out : null;
  };

  const entries: QemuInventoryEntry[] = [];
  const top = doc.contents === null ? null : fields(doc.contents, '', ['domains'], ['domains'], 'the inventory');
  if (doc.contents === null) at(null, '', "the inventory is empty: expected a map with key 'domains'");
  const list = top?.get('domains');
  if (top && top.has('domains') && !isSeq(list)) at(list, '/domains', "'domains' must be a list");
  const seen = { name: new Map<string, string>(), uuid: new Map<string, string>(), path: new Map<string, string>() };
  const unique = (kind: 'name' | 'uuid' | 'path', v: string, n: Node | null | undefined, path: string, owner: string) => {
    const prev = seen[kind].get(v);
    if (prev !== undefined) at(n, path, `${kind} '${v}' is already used by ${prev}`);
    else seen[kind].set(v, owner);
  };
  (isSeq(list) ? (list.items as Node[]) : []).forEach((item, i) => {
    const p = `/domains/${i}`;
    const f = fields(item, p, ['name', 'uuid', 'qmp', 'disks', 'launch'], ['name', 'qmp', 'disks'], `domain ${i + 1}`);
    if (!f) return;
    const name = f.has('name') ? str(f.get('name'), `${p}/name`, 'name', DOMAIN_NAME_RE, "may use letters, digits, '.', '_', '-' (not first)") : null;
    if (name !== null) unique('name', name, f.get('name'), `${p}/name`, `domain ${i + 1}`);
    let uuid: string | null = null;
    if (f.has('uuid')) {
      uuid = str(f.get('uuid'), `${p}/uuid`, 'uuid', UUID_RE, 'is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx')?.toLowerCase() ?? null;
      if (uuid !== null) unique('uuid', uuid, f.get('uuid'), `${p}/uuid`, `domain ${name ?? i + 1}`);
    }
    const qmp = f.has('qmp') ? absPath(f.get('qmp'), `${p}/qmp`, 'qmp') : null;
    const disksNode = f.get('disks');
    if (f.has('disks') && !isSeq(disksNode)) at(disksNode, `${p}/disks`, "'disks' must be a list");
    const disks: QemuInventoryDisk[] = [];
    const vdevs = new Set<string>();
    (isSeq(disksNode) ? (disksNode.items as Node[]) : []).forEach((dn, j) => {
      const dp = `${p}/disks/${j}`;
      const d = fields(dn, dp, ['vdev', 'path', 'format', 'node'], ['vdev', 'path', 'format'], `disk ${j + 1} of domain ${name ?? i + 1}`);
      if (!d) return;
      const vdev = d.has('vdev') ? str(d.get('vdev'), `${dp}/vdev`, 'vdev', VDEV_RE, "may use letters, digits, '.', '_', '-' (at most 32)") : null;
      if (vdev !== null && vdevs.has(vdev)) at(d.get('vdev'), `${dp}/vdev`, `vdev '${vdev}' is used twice in domain ${name ?? i + 1}`);
      if (vdev !== null) vdevs.add(vdev);
      const path = d.has('path') ? absPath(d.get('path'), `${dp}/path`, 'path') : null;
      if (path !== null) unique('path', path, d.get('path'), `${dp}/path`, `domain ${name ?? i + 1} disk ${vdev ?? j + 1}`);
      const format = d.has('format') ? str(d.get('format'), `${dp}/format`, 'format', /^(qcow2|raw|vhd)$/, `is not one of ${FORMATS.join(', ')}`) : null;
      const node = d.has('node') ? str(d.get('node'), `${dp}/node`, 'node', NODE_RE, 'is not a QEMU node name (a letter, then letters, digits, ".", "_", "-"; at most 31)') : null;
      if (vdev !== null && path !== null && format !== null) disks.push({ vdev, path, format: format as QemuInventoryDisk['format'], node });
    });
    const launch = f.has('launch') ? argvList(f.get('launch'), `${p}/launch`) : null;
    if (name !== null && qmp !== null) entries.push({ name, uuid, qmp, disks, launch });
  });
  return { entries, diagnostics: sortDiagnostics(diagnostics) };
}
