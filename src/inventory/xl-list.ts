import { BackendError } from '../errors.js';
import type { Disk, DiskBackend } from '../model/domain.js';
import { parseXlStateFlags, type XlStateFlags } from './xl-state-flags.js';

/**
 * One row of the `xl list` table. `flags` is the six-letter state column as printed, e.g. `-b----`;
 * `state` its reading, null for a column xl-state-flags.ts does not know (that domain is skipped,
 * the rest of the host is not). `uuid` only from `xl list -v`.
 */
export interface XlListRow {
  name: string;
  domid: number;
  memMiB: number;
  vcpus: number;
  flags: string;
  state: XlStateFlags | null;
  cpuTimeSec: number;
  uuid?: string;
}

/**
 * A domain as `xl list -l` describes it (libxl's domain config, default-valued fields omitted).
 * `problems` lists what could not be read; a domain with problems must not be acted on.
 */
export interface XlLongDomain {
  domid: number;
  name: string;
  uuid: string | null;
  disks: Disk[];
  problems: string[];
}

// name, domid, mem, vcpus, state, time; `-v` adds the UUID, reason code and security label
const ROW_RE = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S{6})\s+(\d+(?:\.\d+)?)(?:\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s.*)?\s*$/;
const BACKENDS: readonly DiskBackend[] = ['phy', 'tap', 'qdisk', 'standalone'];

/**
 * Parses `xl list` output: a header line `Name  ID  Mem VCPUs State Time(s)` then one row per
 * domain (`%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`). Unreadable output is a BackendError.
 */
export function parseXlListTable(stdout: string): XlListRow[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const bad = (why: string) => new BackendError(`cannot read the output of xl list: ${why}`, { command: ['xl', 'list'] });
  if (!lines.length || !/^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)/.test(lines[0]!)) throw bad('no header line');
  return lines.slice(1).map((line) => {
    const m = ROW_RE.exec(line);
    if (!m) throw bad(`unexpected line ${JSON.stringify(line)}`);
    const row: XlListRow = { name: m[1]!.trim(), domid: Number(m[2]), memMiB: Number(m[3]), vcpus: Number(m[4]), flags: m[5]!, state: parseXlStateFlags(m[5]!), cpuTimeSec: Number(m[6]) };
    if (m[7]) row.uuid = m[7];
    return row;
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const flag = (v: unknown) => v === 1 || v === true || v === 'True';

/** One libxl `device_disk` → Disk. Missing fields take libxl's defaults (readwrite 0, is_cdrom 0, direct_io_safe 0, discard_enable = readwrite). */
export function diskFromLibxl(d: unknown, problems: string[]): Disk | null {
  if (!isObj(d) || typeof d.vdev !== 'string' || d.vdev === '') {
    problems.push(`a disk without vdev: ${JSON.stringify(d)}`);
    return null;
  }
  const backend = d.backend as DiskBackend;
  if (!BACKENDS.includes(backend)) {
    problems.push(`disk ${d.vdev} has backend ${JSON.stringify(d.backend ?? 'unknown')}`);
    return null;
  }
  const path = typeof d.pdev_path === 'string' ? d.pdev_path : '';
  const format = typeof d.format === 'string' ? d.format : path === '' ? 'empty' : 'unknown';
  const disk: Disk = { vdev: d.vdev, path, format, backend, readonly: !flag(d.readwrite), cdrom: flag(d.is_cdrom) };
  if (backend === 'qdisk' && !disk.cdrom) {
    // libxl_disk.c: discard_enable defaults to readwrite; direct_io_safe to off. xen-block reads
    // both from xenstore and opens the image with them (cache.direct + aio=native; discard=unmap).
    const discard = d.discard_enable === undefined || d.discard_enable === 'default' ? !disk.readonly : flag(d.discard_enable);
    disk.qdiskOptions = { directIo: flag(d.direct_io_safe), discard };
  }
  return disk;
}

/** Parses `xl list -l` JSON: `[{"domid": N, "config": {c_info: {name, uuid}, disks: [...]}}]`. */
export function parseXlListLong(stdout: string): XlLongDomain[] {
  const bad = (why: string) => new BackendError(`cannot read the output of xl list -l: ${why}`, { command: ['xl', 'list', '-l'] });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message}); is output_format="sxp" set in xl.conf?`);
  }
  if (!Array.isArray(doc)) throw bad('not a JSON array');
  return doc.map((entry, i) => {
    if (!isObj(entry) || typeof entry.domid !== 'number' || !isObj(entry.config) || !isObj(entry.config.c_info)) {
      throw bad(`entry ${i} has no domid/config.c_info`);
    }
    const info = entry.config.c_info;
    if (typeof info.name !== 'string') throw bad(`entry ${i} (domid ${entry.domid}) has no name`);
    const problems: string[] = [];
    const rawDisks = entry.config.disks ?? [];
    if (!Array.isArray(rawDisks)) problems.push('config.disks is not a list');
    const disks = (Array.isArray(rawDisks) ? rawDisks : []).map((d) => diskFromLibxl(d, problems)).filter((d): d is Disk => d !== null);
    return { domid: entry.domid, name: info.name, uuid: typeof info.uuid === 'string' ? info.uuid : null, disks, problems };
  });
}
