// VHD graphs: after a revert one frozen image has two children (the side branch and the new leaf);
// deleting it streams it into both, natively, and every other snapshot reads as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlktapBackend } from '../../../src/backends/blktap/blktap-backend.js';
import { ExecTapCtl } from '../../../src/backends/blktap/tap-ctl.js';
import { resolveBlktapSteps } from '../../../src/backends/blktap/blktap-graph-delete.js';
import { buildLeaf, switchDisk } from '../../../src/revert/revert-disk.js';
import type { DomainState } from '../../../src/model/policy.js';
import { composedContents, tempDir } from '../../formats/vhd/vhd-tools.js';
import { assertVhdSound } from '../../util/batmap-oracle.js';
import { createLeaves, guestWrite, logLines, makeDomain, ownComposed, recordingJournal, setupTapCtl } from './blktap-fixture.js';

const MiB = 1024 * 1024;
const SIZE = 5 * MiB;

for (const state of ['shutoff', 'running'] as DomainState[]) {
  test(`${state}: a VHD frozen image read by a side branch and by the leaf is streamed into both; every snapshot keeps its content`, async (t) => {
    const { dir, cleanup } = await tempDir('blktap-graph');
    t.after(cleanup);
    const domain = makeDomain(dir, 1, 'shutoff');
    await createLeaves(domain, SIZE);
    const leaf = domain.disks[0]!.path;
    const backend = new BlktapBackend({ tapCtl: new ExecTapCtl() });
    const frozen = (s: string) => join(dir, `xvda@${s}.vhd`);
    const snap = (name: string) => backend.create({ domain, disks: domain.disks, snapshot: name, type: 'external' }, recordingJournal());
    await guestWrite(leaf, 0, Buffer.alloc(3 * MiB, 0x11));
    const s1 = await snap('s1');
    await guestWrite(leaf, MiB, Buffer.alloc(MiB, 0x22));
    await snap('s2');
    await guestWrite(leaf, 2 * MiB, Buffer.alloc(64 * 1024, 0x33));
    await snap('pre'); // the state before a revert to s1
    // the revert: a new leaf over s1
    const d = { vdev: 'xvda', leaf, format: 'vhd' as const, method: 'fresh-leaf' as const, tag: null, source: frozen('s1'), temp: join(dir, '.new-leaf.vhd'), scratch: null };
    await buildLeaf(d);
    await switchDisk(d);
    await guestWrite(leaf, 4 * MiB, Buffer.alloc(4096, 0x44));
    const names = [frozen('s2'), frozen('pre'), leaf];
    const refs = await Promise.all(names.map((n) => ownComposed(n)));
    const running = { ...domain, state };
    const tap = state === 'running' ? await setupTapCtl(dir, domain) : null;
    const req = { domain: running, snapshot: 's1', type: 'external' as const, disks: s1 };
    const [w] = await resolveBlktapSteps(req);
    assert.deepEqual(w!.step.method === 'stream' && w!.step.children, [{ path: leaf, how: 'vhd-stream' }, { path: frozen('s2'), how: 'vhd-stream' }]);
    const j = recordingJournal();
    await backend.delete(req, j);
    assert.deepEqual(j.entries, [
      'intent blktap.stream:xvda', 'done blktap.stream:xvda', 'intent blktap.relink:xvda', 'done blktap.relink:xvda',
      'intent blktap.stream:xvda', 'done blktap.stream:xvda', 'intent blktap.relink:xvda', 'done blktap.relink:xvda',
      'intent blktap.remove-frozen:xvda', 'done blktap.remove-frozen:xvda',
    ]);
    await assert.rejects(stat(frozen('s1')), { code: 'ENOENT' });
    assert.deepEqual(await Promise.all(names.map((n) => ownComposed(n))), refs, 'xensnap reads every snapshot as before');
    assert.deepEqual(await composedContents(names), refs, 'libvhdi reads every snapshot as before');
    for (const n of names) await assertVhdSound(n);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.vhd')).sort(), ['xvda.vhd', 'xvda@pre.vhd', 'xvda@s2.vhd']);
    if (tap) {
      const lines = await logLines(tap.log);
      assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['list', 'pause', 'unpause'], lines.join('\n'));
    }
  });
}
