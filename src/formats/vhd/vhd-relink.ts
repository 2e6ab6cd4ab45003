import { FormatError } from '../../errors.js';
import { withFile } from '../file-access.js';
import { resealHeader, setHeaderParent, type HeaderParent } from './vhd-header.js';
import { VhdImage } from './vhd-image.js';
import { readVhdLayout } from './vhd-info.js';
import { parentLocatorData, parentNameFor } from './vhd-locators.js';
import { planLocatorRewrite } from './vhd-locator-rewrite.js';

/**
 * Points a differencing child at `newParentPath` (UUID, timestamp, name, locators, checksum), or
 * with null turns it into a standalone dynamic disk (only valid once it holds every sector).
 * Crash safety: new locator data goes into the child's locator areas so that the old header still
 * resolves to the old parent (planLocatorRewrite), synced, before the one header write switches
 * the link. Making a root rewrites the
 * footers (type dynamic) first, then clears the header's parent fields, which dynamic disks ignore.
 */
export async function relinkVhd(childPath: string, newParentPath: string | null): Promise<void> {
  const parent = newParentPath ? await withFile(newParentPath, (f) => readVhdLayout(f)) : null;
  const img = await VhdImage.open(childPath, true);
  try {
    if (!img.differencing) throw new FormatError(childPath, 'only a differencing disk can be re-linked');
    const raw = Buffer.from(img.layout.header!.raw);
    if (!parent) {
      await img.rewriteFooters((f) => f.writeUInt32BE(3, 60));
      setHeaderParent(raw, null);
      await img.writeHeader(resealHeader(raw));
      return;
    }
    if (parent.info.currentSize !== img.layout.info.currentSize) {
      throw new FormatError(childPath, `new parent ${newParentPath} is ${parent.info.currentSize} bytes, the child ${img.layout.info.currentSize}`);
    }
    const name = parentNameFor(newParentPath!);
    const plan = planLocatorRewrite(childPath, img.layout.header!.locators, parentLocatorData(childPath, newParentPath!));
    await img.writeLocatorData(plan.writes);
    const hp: HeaderParent = { uuid: parent.footer.uuid, timestamp: parent.info.timestamp, name, locators: plan.locators };
    setHeaderParent(raw, hp);
    await img.writeHeader(resealHeader(raw));
  } finally {
    await img.close();
  }
}

/** Sets or clears blktap's hidden flag (footer byte 85) in both footers. */
export async function setVhdHidden(path: string, hidden: boolean): Promise<void> {
  const img = await VhdImage.open(path, true);
  try {
    await img.rewriteFooters((f) => {
      f[85] = hidden ? 1 : 0;
    });
  } finally {
    await img.close();
  }
}

