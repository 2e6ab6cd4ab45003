import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, deleteOffline } from '../../../src/backends/qdisk/offline.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { noJournal } from '../../../src/backends/backend.js';
import {
  RecordingJournal, assertCleanImage, dirState, makeImage, qdisk, sameContent, saveReference, testDomain, writePattern,
} from '../../util/image-refs.js';

const MiB = 1 << 20;

async function twoDisks(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-int-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.qcow2');
  const b = join(dir, 'b.qcow2');
  await makeImage(a, 'qcow2', 8 * MiB);
  await makeImage(b, 'qcow2', 8 * MiB);
  await writePattern(a, 'qcow2', 0xa1, 0, 64 * 1024);
  await writePattern(b, 'qcow2', 0xb1, MiB, 64 * 1024);
  return { dir, a, b, domain: testDomain([qdisk('xvda', a), qdisk('xvdb', b)]) };
}

const tags = async (f: string) => (await img.info(f, { format: 'qcow2' })).snapshots.map((s) => s.name);

test('internal create on two disks keeps each content, journals each step, and delete removes the tags', async (t) => {
  const { dir, a, b, domain } = await twoDisks(t);
  await saveReference(a, 'qcow2', join(dir, 'ref-a.raw'));
  await saveReference(b, 'qcow2', join(dir, 'ref-b.raw'));
  const journal = new RecordingJournal();
  const recs = await createOffline({ domain, disks: domain.disks, snapshot: 's1', type: 'internal' }, journal);
  assert.deepEqual(recs, [
    { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 's1' },
    { vdev: 'xvdb', format: 'qcow2', backend: 'qdisk', tag: 's1' },
  ]);
  assert.deepEqual(journal.lines, [
    'intent:qdisk-offline.internal-create:xvda', 'done:qdisk-offline.internal-create:xvda',
    'intent:qdisk-offline.internal-create:xvdb', 'done:qdisk-offline.internal-create:xvdb',
  ]);
  assert.deepEqual(journal.intents[1]!.detail, { vdev: 'xvdb', image: b, tag: 's1' });
  await writePattern(a, 'qcow2', 0xa2, 0, 4096);
  await saveReference(a, 'qcow2', join(dir, 's1-a.raw'), 's1');
  assert.equal(await sameContent(join(dir, 's1-a.raw'), 'raw', join(dir, 'ref-a.raw'), 'raw'), true);
  assert.equal(await sameContent(a, 'qcow2', join(dir, 'ref-a.raw'), 'raw'), false);
  const progress: string[] = [];
  await deleteOffline({ domain, snapshot: 's1', type: 'internal', disks: recs }, noJournal, (e) => progress.push(`${e.done}/${e.total}`));
  assert.deepEqual(progress, ['1/2', '2/2']);
  assert.deepEqual(await tags(a), []);
  assert.deepEqual(await tags(b), []);
  await assertCleanImage(a, 'qcow2');
  await assertCleanImage(b, 'qcow2');
  // A second delete finds nothing to do (a re-run after an interrupted delete).
  await deleteOffline({ domain, snapshot: 's1', type: 'internal', disks: recs }, noJournal);
});

test('a duplicate internal name is refused with an exact message and nothing changes', async (t) => {
  const { dir, b, domain } = await twoDisks(t);
  await img.snapshotCreate(b, 'dup');
  const before = await dirState(dir);
  await assert.rejects(
    createOffline({ domain, disks: domain.disks, snapshot: 'dup', type: 'internal' }, noJournal),
    { name: 'UserInputError', message: `internal snapshot "dup" already exists on disk xvdb (in ${b}): snapshot names must be unique on a disk` },
  );
  await assert.rejects(
    createOffline({ domain, disks: domain.disks, snapshot: '42', type: 'internal' }, noJournal),
    { name: 'UserInputError', message: 'internal snapshot name "42" is refused: qemu-img snapshot -d would take a name made only of digits as a snapshot id' },
  );
  assert.deepEqual(await dirState(dir), before);
});

test('deleting a name that appears twice is refused: qemu-img would delete the first match', async (t) => {
  const { dir, a, domain } = await twoDisks(t);
  await img.snapshotCreate(a, 'twice');
  await img.snapshotCreate(a, 'twice');
  const before = await dirState(dir);
  await assert.rejects(
    deleteOffline({ domain, snapshot: 'twice', type: 'internal', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'twice' }] }, noJournal),
    {
      name: 'BackendError',
      message: `cannot delete snapshot "twice" from disk xvda: internal snapshot "twice" appears 2 times on xvda (${a} id 1, ${a} id 2): qemu-img snapshot -d deletes only the first match, so xensnap refuses; remove the extra ones by id with qemu-img snapshot -d ID; nothing was changed`,
    },
  );
  assert.deepEqual(await dirState(dir), before);
  // A foreign tag named "1" while id 1 is another snapshot: -d 1 would hit the id first.
  const b = join(dir, 'b.qcow2');
  await img.snapshotCreate(b, 'x');
  await img.snapshotCreate(b, '1');
  await assert.rejects(
    deleteOffline({ domain, snapshot: '1', type: 'internal', disks: [{ vdev: 'xvdb', format: 'qcow2', backend: 'qdisk', tag: '1' }] }, noJournal),
    { message: `cannot delete snapshot "1" from disk xvdb: "1" is also the id of internal snapshot "x" in ${b}, which qemu-img snapshot -d would delete instead; nothing was changed` },
  );
  assert.deepEqual(await tags(b), ['x', '1']);
});

// qcow2 cannot give back the clusters a created-then-deleted tag used, so "as before" for an
// internal rollback is: same files, same guest-visible bytes, no tag, a clean check.
test('a failure on the second disk leaves the first disk as before (content, tags, files)', async (t) => {
  const { dir, a, b, domain } = await twoDisks(t);
  const refDir = await mkdtemp(join(tmpdir(), 'xensnap-int-ref-'));
  t.after(() => rm(refDir, { recursive: true, force: true }));
  await saveReference(a, 'qcow2', join(refDir, 'a.raw'));
  const before = await dirState(dir);
  const hidden = join(dir, 'b.hidden');
  // The second disk's image vanishes just before its step: a real qemu-img failure.
  const journal = new RecordingJournal(async (_step, i) => {
    if (i === 1) await rename(b, hidden);
  });
  await assert.rejects(createOffline({ domain, disks: domain.disks, snapshot: 's1', type: 'internal' }, journal), (e: Error) => {
    assert.equal(e.name, 'BackendError');
    const opts = `driver=qcow2,file.driver=file,file.filename=${b}`;
    assert.equal(e.message, `qemu-img failed (command: qemu-img snapshot --image-opts -c s1 ${opts}; exit code: 1; stderr: qemu-img: Could not open '${opts}': Could not open '${b}': No such file or directory)`);
    return true;
  });
  await rename(hidden, b);
  const after = await dirState(dir);
  assert.deepEqual(Object.keys(after), Object.keys(before));
  assert.equal(after['b.qcow2'], before['b.qcow2']);
  assert.equal(await sameContent(a, 'qcow2', join(refDir, 'a.raw'), 'raw'), true);
  assert.deepEqual(await tags(a), []);
  await assertCleanImage(a, 'qcow2');
});

test('a journal failure after the second disk is done rolls back both disks', async (t) => {
  const { dir, a, b, domain } = await twoDisks(t);
  const before = await dirState(dir);
  const journal = new RecordingJournal();
  journal.done = async (step: string) => {
    journal.lines.push(`done:${step}`);
    if (journal.lines.length === 4) throw new Error('journal disk full');
  };
  await assert.rejects(createOffline({ domain, disks: domain.disks, snapshot: 's1', type: 'internal' }, journal), { message: 'journal disk full' });
  assert.deepEqual(await tags(a), []);
  assert.deepEqual(await tags(b), []);
  assert.deepEqual(Object.keys(await dirState(dir)), Object.keys(before));
  await assertCleanImage(a, 'qcow2');
  await assertCleanImage(b, 'qcow2');
});

test('an internal tag frozen by a later external snapshot is deleted inside the frozen image, whose content stays', async (t) => {
  const { dir, a, domain: two } = await twoDisks(t);
  const domain = testDomain([two.disks[0]!]);
  const recs = await createOffline({ domain, disks: domain.disks, snapshot: 'i1', type: 'internal' }, noJournal);
  await writePattern(a, 'qcow2', 0xa3, 0, 8192);
  await saveReference(a, 'qcow2', join(dir, 'ref-e1.raw'));
  const ext = await createOffline({ domain, disks: domain.disks, snapshot: 'e1', type: 'external' }, noJournal);
  const frozen = join(dir, 'a@e1.qcow2');
  assert.deepEqual(await tags(frozen), ['i1']);
  const journal = new RecordingJournal();
  await deleteOffline({ domain, snapshot: 'i1', type: 'internal', disks: recs }, journal);
  assert.deepEqual(journal.intents.map((i) => ({ ...i.detail, plan: undefined })), [{ vdev: 'xvda', image: frozen, tag: 'i1', plan: undefined }]);
  assert.deepEqual(await tags(frozen), []);
  assert.equal(ext[0]!.frozenPath, frozen);
  assert.equal(await sameContent(frozen, 'qcow2', join(dir, 'ref-e1.raw'), 'raw'), true);
  await assertCleanImage(frozen, 'qcow2');
  // The name is now free again on this disk, and taken again once created.
  await createOffline({ domain, disks: domain.disks, snapshot: 'i1', type: 'internal' }, noJournal);
  await assert.rejects(createOffline({ domain, disks: domain.disks, snapshot: 'i1', type: 'internal' }, noJournal), {
    message: `internal snapshot "i1" already exists on disk xvda (in ${a}): snapshot names must be unique on a disk`,
  });
});
