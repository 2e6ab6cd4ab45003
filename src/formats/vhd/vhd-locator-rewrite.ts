import { FormatError } from '../../errors.js';
import type { HeaderParent, LocatorEntry } from './vhd-header.js';
import type { LocatorData } from './vhd-locators.js';

/** What a re-link writes: locator data first (in this order, then synced), then the header naming it. */
export interface LocatorRewrite {
  writes: { offset: number; data: Buffer }[];
  locators: HeaderParent['locators'];
}

/**
 * Re-linking rewrites parent locators inside the child's existing locator areas (blktap checks
 * that no block lies before a locator, so fresh space at the end is not an option), without a
 * moment in which the old header resolves to the new parent. It uses three areas: the one the
 * MacX locator names (read first by blktap), the one W2ru names (read first by xensnap) and a
 * third (W2ku's, or the one parked by an earlier re-link):
 *   1. the third area gets the new UTF-16 path — neither reader looks there while the others resolve;
 *   2. W2ru's area gets the new MacX text — as UTF-16 it names no file, so both readers fall to MacX;
 *   3. one header write: MacX → W2ru's old area, W2ku and W2ru → the third area, and MacX's old
 *      area parked under code "Mac " (a valid platform code blktap and xensnap never read), so
 *      the next re-link again has three areas.
 * Throws FormatError (nothing written) when the areas are missing or the new path does not fit.
 */
export function planLocatorRewrite(file: string, entries: LocatorEntry[], data: LocatorData[]): LocatorRewrite {
  const macx = entries.find((e) => e.code === 'MacX');
  const w2ru = entries.find((e) => e.code === 'W2ru');
  const third = [...entries.filter((e) => e.code === 'Mac '), ...entries.filter((e) => e.code === 'W2ku'), ...entries]
    .find((e) => macx && w2ru && e.offset !== macx.offset && e.offset !== w2ru.offset);
  if (!macx || !w2ru || !third || macx.offset === w2ru.offset) {
    throw new FormatError(file, 'cannot re-link safely: the child needs MacX and W2ru parent locators and a third locator area, each its own');
  }
  const text = data.find((d) => d.code === 'MacX')!.data;
  const wide = data.find((d) => d.code === 'W2ru')!.data;
  if (text.length > w2ru.spaceBytes || wide.length > third.spaceBytes) {
    throw new FormatError(file, `cannot re-link: the new parent path does not fit the child's parent locator space (${w2ru.spaceBytes} and ${third.spaceBytes} bytes)`);
  }
  const padded = (d: Buffer, space: number): Buffer => Buffer.concat([d, Buffer.alloc(space - d.length)]);
  return {
    writes: [
      { offset: third.offset, data: padded(wide, third.spaceBytes) },
      { offset: w2ru.offset, data: padded(text, w2ru.spaceBytes) },
    ],
    locators: [
      { code: 'MacX', spaceBytes: w2ru.spaceBytes, length: text.length, offset: w2ru.offset },
      { code: 'W2ku', spaceBytes: third.spaceBytes, length: wide.length, offset: third.offset },
      { code: 'W2ru', spaceBytes: third.spaceBytes, length: wide.length, offset: third.offset },
      { code: 'Mac ', spaceBytes: macx.spaceBytes, length: macx.length, offset: macx.offset },
    ],
  };
}
