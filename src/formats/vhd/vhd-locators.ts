import { basename, dirname, relative, resolve } from 'node:path';
import { encodeUtf16 } from './vhd-header.js';

/** Bytes reserved per locator: a 255-byte file name as UTF-16 plus `./` always fits. */
export const LOCATOR_SPACE = 1024;

/** Locator data as blktap writes it: MacX UTF-8 `file://./rel`, W2ku absolute and W2ru `./rel`, UTF-16LE. */
export interface LocatorData {
  code: 'MacX' | 'W2ku' | 'W2ru';
  data: Buffer;
}

/** The child-relative path of a parent: `./name` in the same directory, `../x/name` elsewhere. */
export function relativeParentPath(childPath: string, parentPath: string): string {
  const rel = relative(dirname(resolve(childPath)), resolve(parentPath));
  return rel.startsWith('../') ? rel : `./${rel}`;
}

export function parentLocatorData(childPath: string, parentPath: string): LocatorData[] {
  const rel = relativeParentPath(childPath, parentPath);
  return [
    { code: 'MacX', data: Buffer.from(`file://${rel}`, 'utf8') },
    { code: 'W2ku', data: encodeUtf16(resolve(parentPath), 'le') },
    { code: 'W2ru', data: encodeUtf16(rel, 'le') },
  ];
}

/** The parent name stored in the header: the parent's file name. */
export function parentNameFor(parentPath: string): string {
  return basename(parentPath);
}
