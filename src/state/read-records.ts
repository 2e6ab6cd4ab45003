import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { FormatError } from '../errors.js';
import type { SnapshotRecord } from '../model/snapshot.js';
import { isDomainKey } from './domain-key.js';
import { domainDir, recordFileName, recordPath } from './record-path.js';
import { readRecordFile, scanDomainDir, type DomainRecords } from './scan-domain-dir.js';

/**
 * The records of one domain (`stateDir/<domainKey>/`). A corrupt, unreadable or invalid record
 * is reported in `problems`, never thrown and never deleted; a missing folder has no records.
 * Throws UserInputError only for an invalid domain key.
 */
export async function readDomainRecords(stateDir: string, domainKey: string): Promise<DomainRecords> {
  return scanDomainDir(domainDir(stateDir, domainKey), domainKey);
}

/**
 * One record, or null when it does not exist. A record that exists but cannot be used throws
 * FormatError naming the file: callers that change a record (pin, unpin) must not guess.
 */
export async function readRecord(stateDir: string, domainKey: string, name: string): Promise<SnapshotRecord | null> {
  const path = recordPath(stateDir, domainKey, name);
  const r = readRecordFile(path, recordFileName(name), domainKey);
  if (typeof r === 'string') throw new FormatError(path, r);
  return r;
}

/**
 * The records of every domain folder under `stateDir`, keyed by domain key. Folders whose name
 * is not a domain key (`.journal`, `.lock`, `lost+found`, ...) are skipped. Folders are read one
 * after another, yielding to the event loop between them, so a daemon stays responsive while
 * 50,000 records are read. A missing state directory has no records.
 */
export async function readAllRecords(stateDir: string): Promise<Map<string, DomainRecords>> {
  const out = new Map<string, DomainRecords>();
  let entries: Dirent[];
  try {
    entries = readdirSync(stateDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return out;
    throw new FormatError(stateDir, `cannot list the state directory (${code ?? String(err)})`);
  }
  const keys = entries.filter((e) => e.isDirectory() && isDomainKey(e.name)).map((e) => e.name);
  keys.sort();
  for (const key of keys) {
    out.set(key, scanDomainDir(join(stateDir, key), key));
    await yieldToLoop();
  }
  return out;
}
