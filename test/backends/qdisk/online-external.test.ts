import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExternalOnline } from '../../../src/backends/qdisk/online-external-create.js';
import { deleteQdiskSnapshot, resolveQdiskSteps } from '../../../src/backends/qdisk/graph-delete.js';
import { imagePathOf, readBlockGraph } from '../../../src/backends/qdisk/node-graph.js';
import { readHeaderShared } from '../../../src/backends/qdisk/online-image-info.js';
import { createInternalOnline } from '../../../src/backends/qdisk/online-internal.js';
import { QdiskBackend } from '../../../src/backends/qdisk/qdisk-backend.js';
import { startVm } from '../../util/qemu-vm.js';
import { assertContent, check, DiskModel, guestFlush, guestWrite, listDir, makeDisks, nodeNames, runningDomain, tempDir } from './online-fixture.js';
import { RecordingJournal } from '../../util/image-refs.js';

const MiB = 1024 * 1024;

test('external create on 2 running disks: stable leaf paths, frozen content, journaled steps', async (t) => {
  const dir = await tempDir(t, 'onl-ext');
  const disks = await makeDisks(dir, 2, 4);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const models = [new DiskModel(4 * MiB), new DiskModel(4 * MiB)];
  await guestWrite(c, 0, models[0]!, 0x11, 0, 100_352); // not cluster aligned on purpose
  await guestWrite(c, 1, models[1]!, 0x21, 65_024, 70_000 - (70_000 % 512));
  const inodes = await Promise.all(disks.map((d) => stat(d.path).then((s) => s.ino)));
  const j = new RecordingJournal();
  const recs = await createExternalOnline(c, disks, 's1', j);
  assert.deepEqual(recs, [
    { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: join(dir, 'xvda@s1.qcow2') },
    { vdev: 'xvdb', format: 'qcow2', backend: 'qdisk', frozenPath: join(dir, 'xvdb@s1.qcow2') },
  ]);
  const steps = ['create-overlay', 'link-frozen', 'swap-file-node', 'rename-overlay', 'add-overlay-nodes'];
  assert.deepEqual(j.lines, [
    ...['xvda', 'xvdb'].flatMap((v) => steps.flatMap((s) => [`intent:qdisk-online.${s}:${v}`, `done:qdisk-online.${s}:${v}`])),
    'intent:qdisk-online.transaction',
    'done:qdisk-online.transaction',
  ]);
  // The live image's inode is now the frozen name; a new inode holds the leaf path.
  assert.equal((await stat(join(dir, 'xvda@s1.qcow2'))).ino, inodes[0]);
  assert.notEqual((await stat(disks[0]!.path)).ino, inodes[0]);
  assert.equal((await readHeaderShared(disks[0]!.path)).backingFile, join(dir, 'xvda@s1.qcow2'));
  const frozen = models.map((m) => m.snapshot());
  // Partial-cluster writes after the snapshot must copy the rest of the cluster from the frozen image.
  await guestWrite(c, 0, models[0]!, 0x12, 98_304 + 512, 1024);
  await guestWrite(c, 1, models[1]!, 0x22, 0, 4096);
  await createExternalOnline(c, disks, 's2', new RecordingJournal());
  await guestWrite(c, 0, models[0]!, 0x13, 3 * MiB, 512);
  for (let i = 0; i < 2; i++) {
    await guestFlush(c, i);
    await assertContent(dir, join(dir, `${disks[i]!.vdev}@s1.qcow2`), frozen[i]!);
    await assertContent(dir, disks[i]!.path, models[i]!.data);
  }
  assert.deepEqual(await listDir(dir), ['xvda.qcow2', 'xvda@s1.qcow2', 'xvda@s2.qcow2', 'xvdb.qcow2', 'xvdb@s1.qcow2', 'xvdb@s2.qcow2'].sort());
  assert.equal((await nodeNames(c)).length, 2 * 3 * 2); // 2 disks x 3 images x (format + file node)
  c.close();
  await vm.stop();
  for (const d of disks) {
    await check(d.path);
    await assertContent(dir, d.path, models[disks.indexOf(d)]!.data);
  }
});

test('a failure at any step of the second disk, or in the transaction, leaves no file and no node', async (t) => {
  const dir = await tempDir(t, 'onl-fail');
  const disks = await makeDisks(dir, 2, 4);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const models = [new DiskModel(4 * MiB), new DiskModel(4 * MiB)];
  await guestWrite(c, 0, models[0]!, 0x31, 0, 8192);
  await guestWrite(c, 1, models[1]!, 0x41, 4096, 8192);
  await createExternalOnline(c, disks, 'base', new RecordingJournal()); // failures below start from a chain
  const files = await listDir(dir);
  const nodes = await nodeNames(c);
  const inodes = await Promise.all(disks.map((d) => stat(d.path).then((s) => s.ino)));
  const failAt = ['create-overlay', 'link-frozen', 'swap-file-node', 'rename-overlay', 'add-overlay-nodes'].map((s) => `qdisk-online.${s}:xvdb`);
  let pattern = 0x50;
  for (const point of failAt) {
    await assert.rejects(
      createExternalOnline(c, disks, 'bad', new RecordingJournal(), undefined, {
        afterStep: async (s) => {
          if (s === point) throw new Error(`injected at ${s}`);
        },
      }),
      { message: `injected at ${point}` },
    );
    assert.deepEqual(await listDir(dir), files, point);
    assert.deepEqual(await nodeNames(c), nodes, point);
    for (let i = 0; i < 2; i++) {
      const st = await stat(disks[i]!.path);
      assert.equal(st.ino, inodes[i], point);
      assert.equal(st.nlink, 1, point);
      await guestWrite(c, i, models[i]!, ++pattern, 512 * pattern, 2048); // still writable
    }
  }
  // The transaction itself fails: QEMU no longer has the second overlay node.
  let deleted = '';
  await assert.rejects(
    createExternalOnline(c, disks, 'bad', new RecordingJournal(), undefined, {
      beforeTransaction: async () => {
        // Node names are random: find the second disk's new overlay through the graph.
        const g = await readBlockGraph(c);
        const second = [...g.nodes.values()].find((n) => !nodes.includes(n.name) && n.drv === 'qcow2' && imagePathOf(g, n) === disks[1]!.path)!;
        await c.execute('blockdev-del', { 'node-name': second.name });
        deleted = second.name;
      },
    }),
    (err: Error) => err.message.startsWith(`QMP transaction failed: GenericError: Cannot find device='${deleted}' nor node-name='${deleted}' (command: qmp transaction`),
  );
  assert.deepEqual(await listDir(dir), files);
  assert.deepEqual(await nodeNames(c), nodes);
  // And a clean create still works afterwards, with all data in place.
  await createExternalOnline(c, disks, 'good', new RecordingJournal());
  for (let i = 0; i < 2; i++) await guestFlush(c, i);
  for (let i = 0; i < 2; i++) await assertContent(dir, join(dir, `${disks[i]!.vdev}@good.qcow2`), models[i]!.data);
  c.close();
  await vm.stop();
  for (const d of disks) await check(d.path);
});

test('deleting external snapshots streams into the child and leaves every other snapshot unchanged', async (t) => {
  const dir = await tempDir(t, 'onl-del');
  const disks = await makeDisks(dir, 1, 4);
  const vm = await startVm({ dir, disks: [{ path: disks[0]!.path }] });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const m = new DiskModel(4 * MiB);
  const refs: Record<string, Buffer> = {};
  const p = (s: string) => join(dir, `xvda@${s}.qcow2`);
  for (const [i, s] of ['s1', 's2', 's3'].entries()) {
    await guestWrite(c, 0, m, 0x61 + i, i * 96 * 1024, 192 * 1024);
    refs[s] = m.snapshot();
    await createExternalOnline(c, disks, s, new RecordingJournal());
  }
  await guestWrite(c, 0, m, 0x70, 200 * 1024, 4096);
  const domain = runningDomain(disks, vm.qmpPath);
  const del = (s: string, j: RecordingJournal, progress?: (e: { step: string; done: number; total: number }) => void) =>
    deleteQdiskSnapshot({ domain, snapshot: s, type: 'external', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: p(s) }] }, { domain, client: c, journal: j, ...(progress ? { progress } : {}) });
  // s2 is in the running chain: streamed into s3 through a QMP job
  const [w] = await resolveQdiskSteps({ domain, snapshot: 's2', type: 'external', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: p('s2') }] });
  assert.deepEqual(w!.step.method === 'stream' && [w!.step.children, w!.step.parent, w!.step.chainDepthAfter], [[{ path: p('s3'), how: 'block-stream' }], p('s1'), 3]);
  const progress: Array<{ step: string; done: number; total: number }> = [];
  const j = new RecordingJournal();
  await del('s2', j, (e) => progress.push(e));
  assert.deepEqual(j.lines, ['stream', 'drop-nodes', 'unlink-frozen'].flatMap((s) => [`intent:qdisk-online.${s}:xvda`, `done:qdisk-online.${s}:xvda`]));
  assert.deepEqual(j.intents.map((i) => (i.detail.plan as { method: string }).method), ['stream', 'stream', 'stream'], 'every intent carries the planned step');
  // the job's own progress, then the disk done
  const job = progress.filter((e) => e.step === 'qdisk-online.stream:xvda');
  assert.ok(job.length > 0 && job.at(-1)!.done === job.at(-1)!.total, JSON.stringify(progress));
  assert.deepEqual(progress.at(-1), { step: 'delete:xvda', done: 1, total: 1 });
  assert.equal((await readHeaderShared(p('s3'))).backingFile, p('s1'));
  await guestFlush(c, 0);
  for (const s of ['s1', 's3']) await assertContent(dir, p(s), refs[s]!);
  await assertContent(dir, disks[0]!.path, m.data);
  assert.equal((await nodeNames(c)).length, 3 * 2);
  // The base: s3 becomes standalone.
  await del('s1', new RecordingJournal());
  assert.equal((await readHeaderShared(p('s3'))).backingFile, null);
  await assertContent(dir, p('s3'), refs.s3!);
  // The newest: stream into the active leaf.
  await del('s3', new RecordingJournal());
  assert.equal((await readHeaderShared(disks[0]!.path)).backingFile, null);
  assert.deepEqual(await listDir(dir), ['xvda.qcow2'].sort());
  assert.deepEqual(await nodeNames(c), (await nodeNames(c)).slice(0, 2));
  assert.equal((await nodeNames(c)).length, 2);
  await guestWrite(c, 0, m, 0x71, 0, 512);
  c.close();
  await vm.stop();
  await check(disks[0]!.path);
  await assertContent(dir, disks[0]!.path, m.data);
});

test('on a running domain, merges that would change an internal snapshot are refused before anything runs', async (t) => {
  const dir = await tempDir(t, 'onl-ref');
  const disks = await makeDisks(dir, 1, 4);
  const vm = await startVm({ dir, disks: [{ path: disks[0]!.path }] });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const p = (s: string) => join(dir, `xvda@${s}.qcow2`);
  const rec = (s: string) => [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk' as const, frozenPath: p(s) }];
  await createExternalOnline(c, disks, 'e1', new RecordingJournal());
  await createInternalOnline(c, disks, 'in-c', new RecordingJournal()); // lands in what becomes e2
  await createExternalOnline(c, disks, 'e2', new RecordingJournal());
  const before = await nodeNames(c);
  const domain = runningDomain(disks, vm.qmpPath);
  const del = (s: string) => deleteQdiskSnapshot({ domain, snapshot: s, type: 'external', disks: rec(s) }, { domain, client: c, journal: new RecordingJournal() });
  await assert.rejects(del('e1'), {
    message: `cannot delete snapshot "e1" from disk xvda: internal snapshot in-c in ${p('e2')} reads through ${p('e1')} and the domain is running; a merge that keeps them exact runs offline, once the domain is shut off; nothing was changed`,
  });
  await assert.rejects(del('e2'), {
    message: `cannot delete snapshot "e2" from disk xvda: internal snapshot in-c lives in ${p('e2')}; committing ${disks[0]!.path} into it keeps them, but only offline: it is done once the domain is shut off; nothing was changed`,
  });
  assert.deepEqual(await nodeNames(c), before);
  assert.deepEqual(await listDir(dir), ['xvda.qcow2', 'xvda@e1.qcow2', 'xvda@e2.qcow2'].sort());
});

test('create refuses, before changing anything, a leaf with a second name, an existing frozen name or a leftover overlay', async (t) => {
  const dir = await tempDir(t, 'onl-pre');
  const disks = await makeDisks(dir, 2, 2);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const nodes = await nodeNames(c);
  const { link, unlink, writeFile } = await import('node:fs/promises');
  const cases: Array<[string, () => Promise<void>, () => Promise<void>, string]> = [
    ['hard link', () => link(disks[1]!.path, join(dir, 'other-name')), () => unlink(join(dir, 'other-name')), `disk xvdb: ${disks[1]!.path} has 2 hard links; refusing to freeze it`],
    ['frozen exists', () => writeFile(join(dir, 'xvdb@s.qcow2'), ''), () => unlink(join(dir, 'xvdb@s.qcow2')), `disk xvdb: frozen image ${join(dir, 'xvdb@s.qcow2')} already exists`],
    [
      'leftover overlay',
      () => writeFile(`${disks[1]!.path}.xensnap-new`, ''),
      () => unlink(`${disks[1]!.path}.xensnap-new`),
      `disk xvdb: ${disks[1]!.path}.xensnap-new exists (left by an interrupted create; recovery must remove it)`,
    ],
  ];
  for (const [what, setup, teardown, message] of cases) {
    await setup();
    const files = await listDir(dir);
    await assert.rejects(createExternalOnline(c, disks, 's', new RecordingJournal()), { message }, what);
    assert.deepEqual(await listDir(dir), files, what);
    assert.deepEqual(await nodeNames(c), nodes, what);
    await teardown();
  }
});
