import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDomainRecords, recordProblems } from '../../src/state/index.js';
import { sampleRecord, UUID } from './sample-record.js';

const FILE = 'snapshotdata-web-hourly-20240101T100000Z.json';
const problems = (over: Record<string, unknown>, key = UUID, file = FILE) => recordProblems({ ...sampleRecord(), ...over }, file, key);

test('a valid record has no problems', () => {
  assert.deepEqual(recordProblems(sampleRecord(), FILE, UUID), []);
  assert.deepEqual(recordProblems(sampleRecord({ domain: { uuid: UUID.toUpperCase(), name: 'web-3' } }), FILE, UUID), []);
  assert.deepEqual(recordProblems(sampleRecord({ domain: { uuid: null, name: 'web-3' } }), FILE, 'name-web-3'), []);
});

test('each structural problem has an exact message with its JSON pointer', () => {
  const table: [Record<string, unknown>, string[]][] = [
    [{ formatVersion: 2 }, ['/formatVersion: unsupported format version 2 (this xensnap reads 1)']],
    [{ formatVersion: '1' }, ['/formatVersion: expected an integer']],
    [{ name: 'other' }, ['/name: "other" does not match the file name snapshotdata-web-hourly-20240101T100000Z.json']],
    [{ name: '../x' }, ['/name: not a valid snapshot name', '/name: "../x" does not match the file name snapshotdata-web-hourly-20240101T100000Z.json']],
    [{ name: 7 }, ['/name: expected a string']],
    [{ description: null }, ['/description: expected a string']],
    [{ domain: [] }, ['/domain: expected an object']],
    [{ domain: { uuid: 'nope', name: '' } }, ['/domain/uuid: not a UUID or null', '/domain/name: expected a non-empty string']],
    [{ domain: { uuid: UUID } }, ['/domain/name: missing']],
    [{ domain: { uuid: '00000000-0000-4000-8000-000000000001', name: 'web-3' } }, [`/domain/uuid: "00000000-0000-4000-8000-000000000001" does not match the folder ${UUID}`]],
    [{ createdAt: '2024-13-45T99:00:00Z' }, ['/createdAt: expected an ISO-8601 UTC time like 2024-01-01T00:00:00Z']],
    [{ createdAt: '2024-01-01T10:00:00+02:00' }, ['/createdAt: expected an ISO-8601 UTC time like 2024-01-01T00:00:00Z']],
    [{ slot: 5 }, ['/slot: expected a string or null']],
    [{ policy: 'Web Hourly' }, ['/policy: not a valid policy name or null']],
    [{ policyRevision: 1 }, ['/policyRevision: expected a string or null']],
    [{ deletionPolicy: 'retain' }, ['/deletionPolicy: expected one of "Retain", "Delete"']],
    [{ managedBy: 'someone' }, ['/managedBy: expected one of "xensnap"']],
    [{ mode: 'memory' }, ['/mode: expected one of "disk-only", "live"']],
    [{ domainState: 'stopped' }, ['/domainState: expected one of "running", "paused", "shutoff"']],
    [{ memoryFile: '' }, ['/memoryFile: expected a non-empty string or null']],
    [{ pinned: 'yes' }, ['/pinned: expected true or false']],
    [{ disks: {} }, ['/disks: expected an array']],
    [{ disks: [null] }, ['/disks/0: expected an object']],
    [{ disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'nbd', frozenPath: '/x', extra: 1 }] }, ['/disks/0/backend: expected one of "qdisk", "tap", "phy", "standalone"', '/disks/0/extra: unknown field']],
    [{ disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: 't' }] }, ['/disks/0/frozenPath: missing (external snapshot)', '/disks/0/tag: not allowed in an external snapshot']],
    [{ type: 'internal' }, ['/disks/0/frozenPath: not allowed in an internal snapshot', '/disks/1/frozenPath: not allowed in an internal snapshot']],
    [{ colour: 'blue' }, ['/colour: unknown field']],
    [{ toString: 1, constructor: 2 }, ['/toString: unknown field', '/constructor: unknown field']],
  ];
  for (const [over, want] of table) assert.deepEqual(problems(over), want, JSON.stringify(over));
  const { pinned: _p, ...noPinned } = sampleRecord();
  assert.deepEqual(recordProblems(noPinned, FILE, UUID), ['/pinned: missing']);
  assert.deepEqual(recordProblems(null, FILE, UUID), ['expected a JSON object']);
  assert.deepEqual(recordProblems('x', FILE, UUID), ['expected a JSON object']);
  // A domain whose configuration fixes no UUID still records the UUID xl gave it at that start.
  assert.deepEqual(problems({}, 'name-web-3'), []);
  assert.deepEqual(problems({}, 'name-web-9'), ['/domain/name: "web-3" does not match the folder name-web-9']);
});

test('an invalid record on disk is a problem with all its messages, and valid neighbours still read', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'xensnap-state-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, UUID);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, FILE), JSON.stringify({ ...sampleRecord(), pinned: 'yes', colour: 'blue', name: 'other' }));
  await writeFile(join(dir, 'snapshotdata-ok.json'), JSON.stringify(sampleRecord({ name: 'ok' })));
  const got = await readDomainRecords(root, UUID);
  assert.deepEqual(got.records.map((r) => r.name), ['ok']);
  assert.deepEqual(got.problems, [
    {
      file: join(dir, FILE),
      message: `invalid record: /pinned: expected true or false; /colour: unknown field; /name: "other" does not match the file name ${FILE}`,
    },
  ]);
});

test('a "__proto__" key in a record file is an unknown field, not a prototype change', () => {
  const parsed = JSON.parse(JSON.stringify(sampleRecord()).replace('{', '{"__proto__": {"pinned": true},')) as unknown;
  assert.deepEqual(recordProblems(parsed, FILE, UUID), ['/__proto__: unknown field']);
});
