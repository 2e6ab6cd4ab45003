import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import {
  deleteRecord,
  readAllRecords,
  readDomainRecords,
  readRecord,
  serializeRecord,
  setPinned,
  updateRecord,
  writeRecord,
} from '../../src/state/index.js';
import { sampleRecord, UUID } from './sample-record.js';

async function tmpState(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'snapshots'); // not created yet: writeRecord must create it
}
const mode = async (p: string) => (await stat(p)).mode & 0o777;

const EXPECTED_FILE = `{
  "formatVersion": 1,
  "name": "web-hourly-20240101T100000Z",
  "description": "hourly crash-consistent snapshots of the web tier",
  "domain": {
    "uuid": "${UUID}",
    "name": "web-3"
  },
  "createdAt": "2024-01-01T10:00:02.250Z",
  "slot": "2024-01-01T10:00:00Z",
  "policy": "web-hourly",
  "policyRevision": "9f1c2ab",
  "deletionPolicy": "Retain",
  "managedBy": "xensnap",
  "mode": "disk-only",
  "type": "external",
  "domainState": "running",
  "memoryFile": null,
  "pinned": false,
  "disks": [
    {
      "vdev": "xvda",
      "format": "qcow2",
      "backend": "qdisk",
      "frozenPath": "/srv/images/web-3-xvda@web-hourly-20240101T100000Z.qcow2"
    },
    {
      "vdev": "xvdb",
      "format": "qcow2",
      "backend": "qdisk",
      "frozenPath": "/srv/images/web-3-xvdb@web-hourly-20240101T100000Z.qcow2"
    }
  ]
}
`;

test('writeRecord writes the exact pretty JSON, mode 0600, in 0700 folders; it reads back equal', async (t) => {
  const state = await tmpState(t);
  const rec = sampleRecord();
  // Fields in another order give the same bytes.
  const shuffled = Object.fromEntries(Object.entries(rec).reverse()) as unknown as typeof rec;
  const path = await writeRecord(state, shuffled, UUID);
  assert.equal(path, join(state, UUID, 'snapshotdata-web-hourly-20240101T100000Z.json'));
  assert.equal(await readFile(path, 'utf8'), EXPECTED_FILE);
  assert.equal(serializeRecord(rec), EXPECTED_FILE);
  assert.equal(await mode(path), 0o600);
  assert.equal(await mode(join(state, UUID)), 0o700);
  assert.equal(await mode(state), 0o700);

  const internal = sampleRecord({ name: 'manual-1', type: 'internal', mode: 'live', policy: null, slot: null, memoryFile: null, pinned: true, disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 'manual-1' }] });
  await writeRecord(state, internal, UUID);
  const named = sampleRecord({ name: 'a', domain: { uuid: null, name: 'web-1' } });
  await writeRecord(state, named, 'name-web-1');
  assert.deepEqual(await readDomainRecords(state, UUID), { records: [internal, rec], problems: [] });
  assert.deepEqual(await readDomainRecords(state, 'name-web-1'), { records: [named], problems: [] });
  assert.deepEqual(await readDomainRecords(state, 'name-nobody'), { records: [], problems: [] });
  assert.deepEqual(await readRecord(state, UUID, 'manual-1'), internal);
  assert.equal(await readRecord(state, UUID, 'nope'), null);
});

test('writeRecord tightens an existing state folder to 0700 and overwrites atomically, leaving no temp file', async (t) => {
  const state = await tmpState(t);
  await mkdir(join(state, UUID), { recursive: true, mode: 0o755 });
  await chmod(state, 0o755);
  await chmod(join(state, UUID), 0o755);
  const old = process.umask(0);
  try {
    for (let i = 0; i < 5; i++) await writeRecord(state, sampleRecord({ description: `take ${i}` }), UUID);
  } finally {
    process.umask(old);
  }
  assert.equal(await mode(state), 0o700);
  assert.equal(await mode(join(state, UUID)), 0o700);
  assert.deepEqual(await readdir(join(state, UUID)), ['snapshotdata-web-hourly-20240101T100000Z.json']);
  const file = join(state, UUID, 'snapshotdata-web-hourly-20240101T100000Z.json');
  assert.equal(await mode(file), 0o600);
  assert.equal((await readRecord(state, UUID, 'web-hourly-20240101T100000Z'))?.description, 'take 4');
});

test('writeRecord refuses an invalid record or key and writes nothing', async (t) => {
  const state = await tmpState(t);
  await assert.rejects(writeRecord(state, sampleRecord({ createdAt: 'yesterday' }), UUID), {
    name: 'BugError',
    message: `internal error: refusing to write an invalid record ${join(state, UUID, 'snapshotdata-web-hourly-20240101T100000Z.json')}: /createdAt: expected an ISO-8601 UTC time like 2024-01-01T00:00:00Z`,
  });
  const other = '00000000-0000-4000-8000-000000000001';
  await assert.rejects(writeRecord(state, sampleRecord(), other), {
    name: 'BugError',
    message: `internal error: refusing to write an invalid record ${join(state, other, 'snapshotdata-web-hourly-20240101T100000Z.json')}: /domain/uuid: "${UUID}" does not match the folder ${other}`,
  });
  await assert.rejects(writeRecord(state, sampleRecord({ domain: { uuid: null, name: 'web-3' } }), 'name-web-4'), {
    name: 'BugError',
    message: `internal error: refusing to write an invalid record ${join(state, 'name-web-4', 'snapshotdata-web-hourly-20240101T100000Z.json')}: /domain/name: "web-3" does not match the folder name-web-4`,
  });
  await assert.rejects(writeRecord(state, sampleRecord({ name: '../../etc/passwd' }), UUID), { name: 'UserInputError' });
  await assert.rejects(writeRecord(state, sampleRecord(), '../x'), { name: 'UserInputError' });
  await assert.rejects(stat(state), { code: 'ENOENT' });
});

test('deleteRecord removes one record durably and reports a second delete as false', async (t) => {
  const state = await tmpState(t);
  await writeRecord(state, sampleRecord(), UUID);
  await writeRecord(state, sampleRecord({ name: 'keep-me' }), UUID);
  assert.equal(await deleteRecord(state, UUID, 'web-hourly-20240101T100000Z'), true);
  assert.equal(await deleteRecord(state, UUID, 'web-hourly-20240101T100000Z'), false);
  assert.equal(await deleteRecord(state, 'name-never-seen', 'x'), false);
  assert.deepEqual(await readdir(join(state, UUID)), ['snapshotdata-keep-me.json']);
  await assert.rejects(deleteRecord(state, UUID, '../keep-me'), { name: 'UserInputError' });
});

test('updateRecord / setPinned: read, change, atomic write; missing and corrupt records are refused', async (t) => {
  const state = await tmpState(t);
  await writeRecord(state, sampleRecord(), UUID);
  const name = 'web-hourly-20240101T100000Z';
  const pinned = await setPinned(state, UUID, name, true);
  assert.equal(pinned.pinned, true);
  const file = join(state, UUID, `snapshotdata-${name}.json`);
  assert.equal(await readFile(file, 'utf8'), EXPECTED_FILE.replace('"pinned": false', '"pinned": true'));
  assert.equal(await mode(file), 0o600);
  assert.equal((await setPinned(state, UUID, name, false)).pinned, false);
  assert.equal(await readFile(file, 'utf8'), EXPECTED_FILE);
  assert.deepEqual(await readdir(join(state, UUID)), [`snapshotdata-${name}.json`]);

  await assert.rejects(setPinned(state, UUID, 'nope', true), {
    name: 'UserInputError',
    message: `no xensnap record of snapshot "nope" for domain ${UUID}`,
  });
  await assert.rejects(updateRecord(state, UUID, name, (r) => ({ ...r, name: 'other' })), {
    name: 'UserInputError',
    message: `a record update may not rename snapshot "${name}" to "other"`,
  });
  await writeFile(join(state, UUID, 'snapshotdata-broken.json'), '{"formatVersion": 1,');
  await assert.rejects(setPinned(state, UUID, 'broken', true), {
    name: 'FormatError',
    message: `${join(state, UUID, 'snapshotdata-broken.json')}: not valid JSON: Expected double-quoted property name in JSON at position 20`,
  });
  assert.equal(await readFile(join(state, UUID, 'snapshotdata-broken.json'), 'utf8'), '{"formatVersion": 1,');
});

test('readAllRecords: every domain folder by key; dot folders, stray files and non-key folders are skipped', async (t) => {
  const state = await tmpState(t);
  const uuid2 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  await writeRecord(state, sampleRecord(), UUID);
  await writeRecord(state, sampleRecord({ name: 'b', domain: { uuid: uuid2, name: 'db-1' } }), uuid2);
  await writeRecord(state, sampleRecord({ name: 'a', domain: { uuid: uuid2, name: 'db-1' } }), uuid2);
  await writeRecord(state, sampleRecord({ name: 'n', domain: { uuid: null, name: 'scratch' } }), 'name-scratch');
  for (const junk of ['.journal', '.lock', 'lost+found', 'name-', 'not-a-key']) {
    await mkdir(join(state, junk));
    await writeFile(join(state, junk, 'snapshotdata-x.json'), '{');
  }
  await writeFile(join(state, 'snapshotdata-stray.json'), '{');
  await writeFile(join(state, uuid2, `web-3.save`), 'memory');
  await writeFile(join(state, uuid2, `.snapshotdata-c.json.123.456.tmp`), '{"half');
  await writeFile(join(state, 'name-scratch', 'snapshotdata-bad.json'), '[]');

  const all = await readAllRecords(state);
  assert.deepEqual([...all.keys()], [UUID, uuid2, 'name-scratch']);
  assert.deepEqual(all.get(UUID), { records: [sampleRecord()], problems: [] });
  assert.deepEqual(all.get(uuid2)!.records.map((r) => r.name), ['a', 'b']);
  assert.deepEqual(all.get(uuid2)!.problems, []);
  assert.deepEqual(all.get('name-scratch')!.problems, [{ file: join(state, 'name-scratch', 'snapshotdata-bad.json'), message: 'invalid record: expected a JSON object' }]);
  assert.deepEqual(await readAllRecords(join(state, 'missing')), new Map());
});

test('odd files in a domain folder are problems naming the file, never thrown and never deleted', async (t) => {
  const state = await tmpState(t);
  await writeRecord(state, sampleRecord(), UUID);
  const dir = join(state, UUID);
  const f = (n: string) => join(dir, n);
  await mkdir(f('snapshotdata-adir.json'));
  await symlink('/etc/passwd', f('snapshotdata-link.json'));
  await run('mkfifo', [f('snapshotdata-fifo.json')]);
  await writeFile(f('snapshotdata-huge.json'), Buffer.alloc(1024 * 1024 + 10, 0x20));
  await writeFile(f('snapshotdata-.hidden.json'), '{}');
  await writeFile(f('snapshotdata-.json'), '{}');
  await writeFile(f('snapshotdata-empty.json'), '');
  await writeFile(f('snapshotdata-trailing.json'), '{"a":1}x');
  const { records, problems } = await readDomainRecords(state, UUID);
  assert.deepEqual(records, [sampleRecord()]);
  assert.deepEqual(problems, [
    { file: f('snapshotdata-.hidden.json'), message: 'the file name holds no valid snapshot name' },
    { file: f('snapshotdata-.json'), message: 'the file name holds no valid snapshot name' },
    { file: f('snapshotdata-adir.json'), message: 'not a regular file' },
    { file: f('snapshotdata-empty.json'), message: 'not valid JSON: Unexpected end of JSON input' },
    { file: f('snapshotdata-fifo.json'), message: 'not a regular file' },
    { file: f('snapshotdata-huge.json'), message: 'larger than 1048576 bytes' },
    { file: f('snapshotdata-link.json'), message: 'a symbolic link, not a regular file' },
    { file: f('snapshotdata-trailing.json'), message: 'not valid JSON: Unexpected non-whitespace character after JSON at position 7' },
  ]);
  assert.equal((await readdir(dir)).length, 9);
});

test('readRecord on an odd file throws FormatError naming it', async (t) => {
  const state = await tmpState(t);
  await writeRecord(state, sampleRecord(), UUID);
  await mkdir(join(state, UUID, 'snapshotdata-adir.json'));
  await symlink(join(state, UUID, 'snapshotdata-web-hourly-20240101T100000Z.json'), join(state, UUID, 'snapshotdata-link.json'));
  await assert.rejects(readRecord(state, UUID, 'adir'), { name: 'FormatError', message: `${join(state, UUID, 'snapshotdata-adir.json')}: not a regular file` });
  await assert.rejects(readRecord(state, UUID, 'link'), { name: 'FormatError', message: `${join(state, UUID, 'snapshotdata-link.json')}: a symbolic link, not a regular file` });
});
