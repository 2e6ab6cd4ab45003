import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, destroyLab, type Lab } from '../../src/lab/create-lab.js';

/** One lab (real images, a running QEMU) for a whole test file, torn down after it. */
export interface LabFixture {
  /** The lab; valid inside tests. */
  readonly lab: Lab;
  /** A scratch folder beside the lab, removed with it. */
  readonly tmp: string;
}

/** Registers before/after hooks that build the lab in a temp folder and destroy it. */
export function useLab(prefix: string): LabFixture {
  let lab: Lab | undefined;
  let tmp: string | undefined;
  test.before(async () => {
    tmp = await mkdtemp(join(tmpdir(), prefix));
    lab = await createLab(join(tmp, 'lab'));
  });
  test.after(async () => {
    if (lab) await destroyLab(lab.dir);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  return {
    get lab() {
      return lab!;
    },
    get tmp() {
      return tmp!;
    },
  };
}
