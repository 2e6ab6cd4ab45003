import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFile } from '../../../src/formats/file-access.js';
import { readQcow2Info, type Qcow2Info } from '../../../src/formats/qcow2/read-qcow2-info.js';
import { readQcow2File } from '../../../src/formats/qcow2/read-qcow2-file.js';
import { buildVariantImages, mapLimit, qemuImg, VARIANTS } from './qcow2-fixtures.js';

interface QemuSnapshot {
  id: string;
  name: string;
  'date-sec': number;
  'date-nsec': number;
  'vm-state-size': number;
}
interface QemuInfo {
  'virtual-size': number;
  'cluster-size': number;
  'backing-filename'?: string;
  'backing-filename-format'?: string;
  'dirty-flag': boolean;
  snapshots?: QemuSnapshot[];
  'format-specific': { data: { compat: string; corrupt?: boolean } };
}

/** What qemu-img says, in the reader's shape (diskSize is not in qemu-img's JSON: see below). */
function expected(q: QemuInfo): Omit<Qcow2Info, 'snapshots'> & { snapshots: Omit<Qcow2Info['snapshots'][number], 'diskSize'>[] } {
  const v3 = q['format-specific'].data.compat === '1.1';
  return {
    version: v3 ? 3 : 2,
    clusterBits: Math.log2(q['cluster-size']),
    virtualSize: q['virtual-size'],
    backingFile: q['backing-filename'] ?? null,
    backingFormat: q['backing-filename-format'] ?? null,
    snapshots: (q.snapshots ?? []).map((s) => ({
      id: s.id,
      name: s.name,
      dateSec: s['date-sec'],
      dateNsec: s['date-nsec'],
      vmStateSize: s['vm-state-size'],
    })),
    ...(v3 ? { dirty: q['dirty-flag'], corrupt: q['format-specific'].data.corrupt ?? false } : {}),
  };
}

test('readQcow2Info (and readQcow2File) agree with qemu-img info on 250+ generated images', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qcow2-agree-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const images = await buildVariantImages(dir);
  assert.ok(images.length >= 200, `only ${images.length} images`);

  const seen = { v2: 0, v3: 0, backing: 0, noFormat: 0, dupNames: 0, nonAscii: 0, maxSnapshots: 0, clusterBits: new Set<number>() };
  await mapLimit(images, 2, async (img) => {
    const q = JSON.parse(await qemuImg(['info', '--output=json', img])) as QemuInfo;
    const mine = await withFile(img, readQcow2Info);
    assert.deepEqual(await readQcow2File(img), mine, `${img}: readQcow2File differs`);
    const { snapshots, ...rest } = mine;
    const want = expected(q);
    const { snapshots: wantSnapshots, ...wantRest } = want;
    assert.deepEqual(rest, wantRest, img);
    assert.deepEqual(
      snapshots.map(({ diskSize: _d, ...s }) => s),
      wantSnapshots,
      img,
    );
    // Every snapshot was taken at the image's current size, which qemu-img records as disk size.
    for (const s of snapshots) assert.equal(s.diskSize, mine.virtualSize, `${img} ${s.name}`);
    seen[mine.version === 2 ? 'v2' : 'v3']++;
    if (mine.backingFile) seen.backing++;
    if (mine.backingFile && !mine.backingFormat) seen.noFormat++;
    if (new Set(snapshots.map((s) => s.name)).size < snapshots.length) seen.dupNames++;
    if (snapshots.some((s) => /[^\x20-\x7e]/.test(s.name))) seen.nonAscii++;
    seen.maxSnapshots = Math.max(seen.maxSnapshots, snapshots.length);
    seen.clusterBits.add(mine.clusterBits);
  });
  // The generated set really covers what it claims to.
  assert.equal(images.length, VARIANTS.reduce((n, v) => n + v.maxSnapshots + 1, 0));
  assert.ok(seen.v2 >= 60 && seen.v3 >= 60, JSON.stringify(seen));
  assert.ok(seen.backing >= 100 && seen.noFormat === 21, JSON.stringify(seen));
  assert.ok(seen.dupNames >= 15 && seen.nonAscii >= 40, JSON.stringify(seen));
  assert.equal(seen.maxSnapshots, 20);
  assert.deepEqual([...seen.clusterBits].sort((a, b) => a - b), [9, 12, 13, 14, 15, 16, 17, 20, 21]);
});
