import type { Diagnostic } from '../model/diagnostic.js';
import type { Disk } from '../model/domain.js';
import { parseDisk } from '../formats/xlcfg/parse-disk-spec.js';
import type { BackendProbe } from '../formats/xlcfg/choose-backend.js';
import { parseXlCfg, type XlValue } from '../formats/xlcfg/parse-xl-cfg.js';
import { DOMAIN_NAME_RE, UUID_RE } from './domain-key.js';

/**
 * What xensnap needs from one xl.cfg: the domain's name, the UUID it fixes (null when there is
 * no `uuid` line: xl then makes a new one at every start) and its disks. `diagnostics` is empty
 * exactly when the file is usable; `name` is filled whenever a string `name` setting parsed,
 * even if something else is wrong, so a broken file can still be matched to a running domain.
 */
export interface XlCfgDomain {
  file: string;
  name: string | null;
  uuid: string | null;
  disks: Disk[];
  diagnostics: Diagnostic[];
}

export function domainFromXlCfg(text: string, file: string, probe: BackendProbe = {}): XlCfgDomain {
  const cfg = parseXlCfg(text, file);
  const diagnostics = [...cfg.diagnostics];
  const at = (v: { line: number; col: number }, path: string, message: string) => diagnostics.push({ file, line: v.line, col: v.col, path, message });
  const str = (key: string): Extract<XlValue, { kind: 'string' }> | null => {
    const v = cfg.values[key];
    if (v === undefined) return null;
    if (v.kind !== 'string') return void at(v, `/${key}`, `'${key}' must be a string`), null;
    return v;
  };

  const nameV = str('name');
  const name = nameV?.value ?? null;
  // A syntax error may be what hid the name: only then would "no name" be noise.
  if (!cfg.values.name && !cfg.diagnostics.length) at({ line: 1, col: 1 }, '/name', "no 'name' setting (xl requires one)");
  let uuid: string | null = null;
  const uuidV = str('uuid');
  if (uuidV) {
    if (UUID_RE.test(uuidV.value)) uuid = uuidV.value.toLowerCase();
    else at(uuidV, '/uuid', `uuid '${uuidV.value}' is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`);
  }
  if (nameV && !uuidV && !DOMAIN_NAME_RE.test(nameV.value)) {
    at(nameV, '/name', `name '${nameV.value}' cannot key a state folder (use letters, digits, '.', '_', '-', or add a uuid line)`);
  }

  const disks: Disk[] = [];
  const diskV = cfg.values.disk;
  if (diskV && diskV.kind !== 'list') at(diskV, '/disk', "'disk' must be a list of strings");
  if (diskV?.kind === 'list') {
    diskV.items.forEach((item, i) => {
      if (item.kind !== 'string') return at(item, `/disk/${i}`, 'each disk must be a string (a DISKSPEC)');
      const r = parseDisk(item.value, probe);
      if (!r.ok) return at(item, `/disk/${i}`, `disk '${item.value}': ${r.error}`);
      if (disks.some((d) => d.vdev === r.value.vdev)) return at(item, `/disk/${i}`, `disk '${item.value}': vdev ${r.value.vdev} is used twice`);
      disks.push(r.value);
    });
  }
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  return { file, name, uuid, disks, diagnostics };
}
