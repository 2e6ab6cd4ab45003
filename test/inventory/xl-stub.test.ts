import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '../../src/errors.js';
import { parseXlListLong, parseXlListTable } from '../../src/inventory/xl-list.js';
import { makeXlWorld } from './xl-world.js';

const dom = (domid: number, name: string, state = '-b----') => ({ domid, state, config: { c_info: { name, uuid: `0000000${domid}-0000-4000-8000-000000000000` }, b_info: { max_vcpus: 2, target_memkb: 262144 } } });

test('xl stand-in: list prints the real table (Domain-0 first) and list -l the JSON shape', async (t) => {
  const w = await makeXlWorld(t, { domains: [dom(5, 'web-1'), dom(2, 'db-1', '--p---')] });
  const table = await w.xl(['list']);
  assert.equal(
    table,
    'Name                                        ID   Mem VCPUs\tState\tTime(s)\n' +
      'Domain-0                                     0  2048     2     r-----    1234.5\n' +
      'db-1                                         2   256     2     --p---       0.0\n' +
      'web-1                                        5   256     2     -b----       0.0\n',
  );
  assert.deepEqual(parseXlListTable(table).map((r) => [r.name, r.domid, r.flags]), [['Domain-0', 0, 'r-----'], ['db-1', 2, '--p---'], ['web-1', 5, '-b----']]);
  assert.deepEqual(parseXlListLong(await w.xl(['list', '-l'])).map((d) => [d.domid, d.name]), [[2, 'db-1'], [5, 'web-1']]);
  assert.deepEqual(parseXlListLong(await w.xl(['list', '-l', 'web-1'])).map((d) => d.name), ['web-1']);
});

test('xl stand-in: pause, unpause, save -p / -c / plain and restore change the world and are logged', async (t) => {
  const w = await makeXlWorld(t, { domains: [dom(5, 'web-1'), dom(6, 'db-1')] });
  const flags = async () => (await w.world()).domains.map((d) => `${d.config.c_info.name}:${d.domid}:${d.state}`);
  await w.xl(['pause', 'web-1']);
  assert.deepEqual(await flags(), ['web-1:5:--p---', 'db-1:6:-b----']);
  await w.xl(['unpause', '5']);
  assert.deepEqual(await flags(), ['web-1:5:-b----', 'db-1:6:-b----']);
  const save = join(w.dir, 'web-1.save');
  await w.xl(['save', '-p', 'web-1', save]);
  assert.deepEqual(await flags(), ['web-1:5:--p---', 'db-1:6:-b----']);
  assert.ok((await readFile(save, 'latin1')).startsWith('Xen saved domain, xl format\n \0 \r'));
  await w.xl(['save', '-c', 'db-1', join(w.dir, 'db-1.save')]);
  assert.deepEqual(await flags(), ['web-1:5:--p---', 'db-1:6:-b----']);
  await w.xl(['save', 'web-1', save]);
  assert.deepEqual(await flags(), ['db-1:6:-b----']);
  await w.xl(['restore', '-p', save]);
  assert.deepEqual(await flags(), ['db-1:6:-b----', 'web-1:7:--p---']);
  await w.xl(['unpause', 'web-1']);
  assert.deepEqual(await w.calls(), [
    ['pause', 'web-1'],
    ['unpause', '5'],
    ['save', '-p', 'web-1', save],
    ['save', '-c', 'db-1', join(w.dir, 'db-1.save')],
    ['save', 'web-1', save],
    ['restore', '-p', save],
    ['unpause', 'web-1'],
  ]);
  const lines = (await readFile(w.logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => l.exitCode === 0));
});

test('xl stand-in: injected failures (optionally per domain, a number of times) and unknown domains', async (t) => {
  const w = await makeXlWorld(t, {
    domains: [dom(5, 'web-1'), dom(6, 'db-1')],
    failures: [{ command: 'pause', domain: 'db-1', exitCode: 3, stderr: 'libxl: error: pause failed\n', times: 1 }],
  });
  await w.xl(['pause', 'web-1']);
  await assert.rejects(w.xl(['pause', 'db-1']), (e: unknown) => e instanceof BackendError && e.exitCode === 3 && e.stderr === 'libxl: error: pause failed\n');
  await w.xl(['pause', 'db-1']); // the failure was for one call only
  await assert.rejects(w.xl(['unpause', 'nope']), (e: unknown) => e instanceof BackendError && e.exitCode === 1 && e.stderr === 'nope is an invalid domain identifier (rc=-6)\n');
  const log = (await readFile(w.logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log, [
    { argv: ['pause', 'web-1'], exitCode: 0 },
    { argv: ['pause', 'db-1'], exitCode: 3 },
    { argv: ['pause', 'db-1'], exitCode: 0 },
    { argv: ['unpause', 'nope'], exitCode: 1 },
  ]);
});
