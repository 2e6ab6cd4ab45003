// Test fixture for the blktap backend: real VHD leaves, a domain, the tap-ctl stand-in, a journal.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepLabel } from '../../../src/journal/step-names.js';
import type { StepJournal } from '../../../src/backends/backend.js';
import { readVhdChain } from '../../../src/formats/vhd/vhd-chain.js';
import { createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdSectors, writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import type { Disk, Domain } from '../../../src/model/domain.js';
import type { DomainState } from '../../../src/model/policy.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/backends/blktap → the repository root → test/stubs (the stub is not compiled). */
export const STUBS = resolve(here, '../../../../test/stubs');

export function makeDomain(dir: string, disks: number, state: DomainState): Domain {
  const list: Disk[] = [];
  for (let i = 0; i < disks; i++) {
    const vdev = `xvd${String.fromCharCode(97 + i)}`;
    list.push({ vdev, path: join(dir, `${vdev}.vhd`), format: 'vhd', backend: 'tap', readonly: false, cdrom: false });
  }
  return { key: 'name-web-1', uuid: null, name: 'web-1', state, disks: list };
}

export async function createLeaves(domain: Domain, size: number): Promise<void> {
  for (const d of domain.disks) await createDynamicVhd(d.path, size);
}

/** Points the tap-ctl stand-in at a state file with one tapdisk per disk; returns the log path. */
export async function setupTapCtl(dir: string, domain: Domain): Promise<{ log: string; state: string }> {
  const state = join(dir, 'tapctl-state.json');
  const log = join(dir, 'tapctl.log');
  const tapdisks = domain.disks.map((d, i) => ({ pid: 4000 + i, minor: i, args: `vhd:${d.path}`, paused: false }));
  await writeFile(state, JSON.stringify({ tapdisks }));
  await writeFile(log, '');
  process.env.PATH = `${STUBS}:${process.env.PATH}`;
  process.env.XENSNAP_TAPCTL_STATE = state;
  process.env.XENSNAP_TAPCTL_LOG = log;
  delete process.env.XENSNAP_TAPCTL_FAIL;
  return { log, state };
}

export async function logLines(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

/** A journal that appends to a log (the tap-ctl log, to see the interleaving) and keeps entries. */
export function recordingJournal(log?: string): StepJournal & { entries: string[] } {
  const entries: string[] = [];
  const add = async (line: string): Promise<void> => {
    entries.push(line);
    if (log) await appendFile(log, `journal ${line}\n`);
  };
  const open: { step: string; label: string }[] = [];
  return {
    entries,
    intent: (step, detail) => {
      const label = stepLabel(step, detail);
      open.push({ step, label });
      return add(`intent ${label}`);
    },
    done: (step) => {
      const i = open.map((o) => o.step).lastIndexOf(step);
      return add(`done ${i >= 0 ? open.splice(i, 1)[0]!.label : step}`);
    },
  };
}

/** The guest writes `data` at `offset` of a leaf (the leaf file changes at each snapshot, so reopen). */
export async function guestWrite(path: string, offset: number, data: Buffer): Promise<void> {
  const img = await VhdImage.open(path, true);
  try {
    await writeVhdSectors(img, offset, data);
  } finally {
    await img.close();
  }
}

/** The composed content of an image over its chain, by xensnap's own reader. */
export async function ownComposed(path: string): Promise<Buffer> {
  const chain = await readVhdChain(path);
  const imgs: VhdImage[] = [];
  try {
    for (const m of chain) imgs.push(await VhdImage.open(m.path));
    return await readVhdSectors(imgs, 0, chain[0]!.layout.info.currentSize);
  } finally {
    for (const i of imgs) await i.close();
  }
}
