import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../../src/errors.js';
import { BufferFileAccess } from '../../../src/formats/file-access.js';
import { createDifferencingVhd, createDynamicVhd } from '../../../src/formats/vhd/vhd-create.js';
import { vhdChecksum } from '../../../src/formats/vhd/vhd-footer.js';
import { VhdImage } from '../../../src/formats/vhd/vhd-image.js';
import { readVhdInfo } from '../../../src/formats/vhd/vhd-info.js';
import { readVhdSectors, writeVhdSectors } from '../../../src/formats/vhd/vhd-sectors.js';
import { run } from '../../../src/util/exec.js';
import { prng, tempDir } from './vhd-tools.js';

const MiB = 1024 * 1024;

async function sampleImages(dir: string): Promise<Buffer[]> {
  const base = join(dir, 'base.vhd');
  const child = join(dir, 'child.vhd');
  const q = join(dir, 'q.vhd');
  await createDynamicVhd(base, 6 * MiB);
  let img = await VhdImage.open(base, true);
  await writeVhdSectors(img, 512, Buffer.alloc(3 * MiB, 7));
  await img.close();
  await createDifferencingVhd(child, base);
  img = await VhdImage.open(child, true);
  await writeVhdSectors(img, 4 * MiB, Buffer.alloc(8192, 9));
  await img.close();
  await run('qemu-img', ['create', '-q', '-f', 'vpc', q, '5M']);
  await run('qemu-io', ['-f', 'vpc', '-c', 'write -P 1 0 64k', q]);
  return Promise.all([base, child, q].map((p) => readFile(p)));
}

/** Re-seals footer (both copies) and header checksums so mutations reach the deeper checks. */
function reseal(b: Buffer): void {
  if (b.length < 512) return;
  const end = b.length - 512;
  b.writeUInt32BE(vhdChecksum(b.subarray(end), 64), end + 64);
  b.writeUInt32BE(vhdChecksum(b.subarray(0, 512), 64), 64);
  if (b.length >= 1536) b.writeUInt32BE(vhdChecksum(b.subarray(512, 1536), 36), 512 + 36);
}

test('1,200 seeded byte flips and truncations of real images: a result or a FormatError, never a crash or hang', async (t) => {
  const { dir, cleanup } = await tempDir('vhd-fuzz');
  t.after(cleanup);
  const images = await sampleImages(dir);
  const r = prng(20240601);
  const outcomes = { ok: 0, formatError: 0 };
  for (let i = 0; i < 1200; i++) {
    const src = images[i % images.length]!;
    let b = Buffer.from(src);
    const kind = r.int(4);
    if (kind === 0) {
      b = b.subarray(0, r.int(b.length));
    } else {
      const flips = 1 + r.int(6);
      for (let k = 0; k < flips; k++) {
        // Metadata lives in the first 4 KiB and the last 512 bytes: aim most flips there.
        const pos = r.next() < 0.8 ? (r.next() < 0.5 ? r.int(Math.min(4096, b.length)) : b.length - 1 - r.int(512)) : r.int(b.length);
        b[pos] = r.int(256);
      }
      if (kind >= 2) reseal(b);
    }
    const f = new BufferFileAccess(`case-${i}.vhd`, b);
    try {
      const info = await readVhdInfo(f);
      if (info.diskType !== 'fixed') {
        const img = await VhdImage.over(f);
        await readVhdSectors([img], 0, Math.min(info.currentSize, 4 * MiB));
      }
      outcomes.ok++;
    } catch (e) {
      if (!(e instanceof FormatError)) throw new Error(`case ${i} (kind ${kind}) threw ${String(e)}`);
      assert.match(e.message, new RegExp(`^case-${i}\\.vhd: .+`));
      outcomes.formatError++;
    }
  }
  assert.equal(outcomes.ok + outcomes.formatError, 1200);
  assert.ok(outcomes.ok > 50 && outcomes.formatError > 300, JSON.stringify(outcomes));
});
