import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileAccess, type WritableFileAccess } from '../../../src/formats/file-access.js';
import { streamVhdIntoChild } from '../../../src/formats/vhd/vhd-coalesce.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { mergeVhdBlocks } from '../../../src/formats/vhd/vhd-merge.js';
import { writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import { ownComposed } from '../../backends/blktap/blktap-fixture.js';
import { prng, tempDir } from './vhd-tools.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';

const MiB = 1024 * 1024;

class Crash extends Error {}

/** Passes writes through until the `n`-th, which "crashes" (the process dies before it happens). */
function crashingAt(f: NodeFileAccess, n: number): WritableFileAccess {
  let writes = 0;
  return {
    name: f.name,
    size: () => f.size(),
    read: (o, l) => f.read(o, l),
    write: async (o, d) => {
      if (++writes >= n) throw new Crash(`crash at write ${n}`);
      return f.write(o, d);
    },
    truncate: (l) => f.truncate(l),
    sync: () => f.sync(),
  };
}

test('a stream interrupted after any write leaves the child reading the same, and re-running finishes it', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-crash');
  t.after(cleanup);
  const [base, mid, top] = ['base.vhd', 'mid.vhd', 'top.vhd'].map((n) => join(dir, n)) as [string, string, string];
  await createDynamicVhd(base, 12 * MiB);
  await createDifferencingVhd(mid, base);
  await createDifferencingVhd(top, mid);
  const r = prng(9);
  // top holds a little of the first 4 MiB, mid a lot everywhere: the stream both fills top's
  // blocks in place and appends new ones.
  for (const [p, span, count] of [[base, 12, 12], [mid, 12, 24], [top, 4, 6]] as const) {
    const img = await VhdImage.open(p, true);
    for (let k = 0; k < count; k++) {
      const len = (1 + r.int(300)) * 4096;
      await writeVhdSectors(img, r.int((span * MiB - len) / 4096 + 1) * 4096, Buffer.alloc(len, 1 + r.int(250)));
    }
    await img.close();
  }
  const want = await ownComposed(top);
  await copyFile(top, join(dir, 'top.orig'));
  let finished = false;
  let n = 1;
  for (; !finished; n++) {
    await copyFile(join(dir, 'top.orig'), top);
    const raw = await NodeFileAccess.open(top, true);
    const src = await VhdImage.open(mid);
    try {
      await mergeVhdBlocks(src, await VhdImage.over(crashingAt(raw, n)), { winner: 'target' });
      finished = true;
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
    } finally {
      await raw.close();
      await src.close();
    }
    assert.deepEqual(await ownComposed(top), want, `after a crash at write ${n}`);
    // a crash may leave full blocks unmarked in the batmap (blktap allows it), never a wrong bit
    await assertVhdSound(top, `after a crash at write ${n}`, false);
    await streamVhdIntoChild(mid, top); // recovery re-runs the whole step
    assert.deepEqual(await ownComposed(top), want, `after recovery from a crash at write ${n}`);
    await assertVhdSound(top, `after recovery from a crash at write ${n}`);
    assert.ok(n < 200, 'the merge ends');
  }
  assert.ok(n > 8, `crashes were tried at ${n - 2} write positions`);
});
