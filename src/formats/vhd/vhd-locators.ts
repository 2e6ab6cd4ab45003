import { basename, dirname, relative, resolve } from 'node:path';
import { FormatError } from '../../errors.js';
import { SECTOR } from './vhd-footer.js';
import { encodeUtf16 } from './vhd-header.js';

/**
 * Locator data as `vhd-util snapshot` writes it (blktap v4.0.8 vhd_parent_locator_write_at): the
 * parent's path relative to the child; MacX `file://` + that path (ASCII, as UTF-8); W2ku and
 * W2ru both `.\` + that path without a leading `./`, `/` as `\`, UTF-16LE.
 */
export interface LocatorData {
  code: 'MacX' | 'W2ku' | 'W2ru';
  data: Buffer;
}

/** blktap decodes parent names and locators from ASCII only (iconv to/from "ASCII"). */
const ASCII = /^[\x01-\x7f]*$/;

/** The child-relative path of a parent: `./name` in the same directory, `../x/name` elsewhere. */
export function relativeParentPath(childPath: string, parentPath: string): string {
  const rel = relative(dirname(resolve(childPath)), resolve(parentPath));
  return rel.startsWith('../') ? rel : `./${rel}`;
}

/** Throws FormatError unless blktap can encode and decode `parentPath` as a parent. */
export function checkParentPathAscii(parentPath: string, rel: string = parentPath): void {
  if (!ASCII.test(basename(parentPath)) || !ASCII.test(rel)) {
    throw new FormatError(parentPath, 'parent path is not ASCII: blktap (vhd-util, tapdisk) can only decode ASCII parent names and locators');
  }
}

export function parentLocatorData(childPath: string, parentPath: string): LocatorData[] {
  const rel = relativeParentPath(childPath, parentPath);
  checkParentPathAscii(parentPath, rel);
  const windows = `.\\${rel.startsWith('./') ? rel.slice(2) : rel}`.replace(/\//g, '\\');
  return [
    { code: 'MacX', data: Buffer.from(`file://${rel}`, 'latin1') },
    { code: 'W2ku', data: encodeUtf16(windows, 'le') },
    { code: 'W2ru', data: encodeUtf16(windows, 'le') },
  ];
}

/** The space blktap gives a locator: its data padded to a sector (stored in bytes, as blktap stores it). */
export function locatorSpace(data: Buffer): number {
  return Math.ceil(data.length / SECTOR) * SECTOR;
}

/** The parent name stored in the header: the parent's file name (ASCII, see checkParentPathAscii). */
export function parentNameFor(parentPath: string): string {
  checkParentPathAscii(parentPath);
  return basename(parentPath);
}
