import { waitUntilLocked } from '../util/lock-held.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
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
  await w.xl(['unpause', 'web-1']);
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
    ['unpause', 'web-1'],
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

test('xl stand-in follows Xen: pauses nest, unpausing a running domain fails, save -p of a paused guest times out as libxl does, -v prints UUIDs, a started domain always has one', async (t) => {
  const noUuid = { domid: 9, state: '-b----', config: { c_info: { name: 'bare-1' } } };
  const w = await makeXlWorld(t, { domains: [dom(5, 'web-1'), noUuid], host: { suspendTimeoutMs: 300 } });
  const state = async (name: string) => (await w.world()).domains.find((d) => d.config.c_info.name === name)!.state;
  await assert.rejects(w.xl(['unpause', 'web-1']), (e: unknown) => e instanceof BackendError && e.exitCode === 1 && e.stderr === 'libxl: error: libxl_domain.c:689:domain_unpause_done: Domain 5:Unpausing domain: Invalid argument\n');
  await w.xl(['pause', 'web-1']);
  await w.xl(['pause', 'web-1']);
  await w.xl(['unpause', 'web-1']);
  assert.equal(await state('web-1'), '--p---', 'two pauses need two unpauses');
  const save = join(w.dir, 'web-1.save');
  const t0 = Date.now();
  await assert.rejects(w.xl(['save', '-p', 'web-1', save]), (e: unknown) =>
    e instanceof BackendError && e.exitCode === 1 &&
    e.stderr === `Saving to ${save} new xl format (info 0x3/0x0/1234)\nlibxl: error: libxl_dom_suspend.c:360:suspend_common_wait_guest_timeout: Domain 5:guest did not suspend, timed out\nFailed to save domain, resuming domain\n`);
  assert.ok(Date.now() - t0 >= 300, 'libxl waits for the guest before giving up');
  await w.xl(['unpause', 'web-1']);
  const v = await w.xl(['list', '-v']);
  const bare = (await w.world()).domains.find((d) => d.config.c_info.name === 'bare-1')! as unknown as { config: { c_info: { uuid: string } } };
  assert.match(bare.config.c_info.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(
    v,
    'Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            Reason-Code\tSecurity Label\n' +
      'Domain-0                                     0  2048     2     r-----    1234.5 00000000-0000-0000-0000-000000000000        -                -\n' +
      'web-1                                        5   256     2     -b----       0.0 00000005-0000-4000-8000-000000000000        -                -\n' +
      `bare-1                                       9     0     1     -b----       0.0 ${bare.config.c_info.uuid}        -                -\n`,
  );
  assert.deepEqual(parseXlListTable(v).map((r) => [r.name, r.uuid]), [['Domain-0', '00000000-0000-0000-0000-000000000000'], ['web-1', '00000005-0000-4000-8000-000000000000'], ['bare-1', bare.config.c_info.uuid]]);
  assert.equal(parseXlListLong(await w.xl(['list', '-l', 'bare-1']))[0]!.uuid, bare.config.c_info.uuid, 'list -l carries the same live UUID');
  // refusals as xl_utils.c def_getopt words them: exit 2
  const refused = async (args: string[], stderr: string) =>
    assert.rejects(w.xl(args), (e: unknown) => e instanceof BackendError && e.exitCode === 2 && e.stderr === stderr, args.join(' '));
  await refused(['pause', '-t', 'web-1'], "option `t' not supported.\n");
  await refused(['pause'], "'xl pause' requires at least 1 argument.\n\n");
  await refused(['save', '-p', 'web-1'], "'xl save' requires at least 2 arguments.\n\n");
  await refused(['save', '-x', 'web-1', save], "option `x' not supported.\n");
  await refused(['restore', '-q', save], "option `q' not supported.\n");
  await refused(['destroy'], "'xl destroy' requires at least 1 argument.\n\n");
});

test('xl stand-in: for an HVM guest, list -l, unpause and save talk to the device model under libxl\'s QMP lock, and give up after the QMP timeout while someone holds it', async (t) => {
  const dir = join((await makeXlWorld(t, { domains: [] })).dir, 'host');
  await import('node:fs/promises').then((f) => f.mkdir(dir));
  const hvm = { domid: 4, state: '-b----', config: { c_info: { type: 'hvm', name: 'win-1', uuid: '44444444-0000-4000-8000-000000000000' } } };
  const w = await makeXlWorld(t, { domains: [hvm], host: { runDir: dir, libDir: dir, qmpTimeoutMs: 1500, suspendTimeoutMs: 300 } });
  const seen: string[] = [];
  const server = createServer((c) => {
    c.setEncoding('utf8');
    c.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    let buf = '';
    c.on('data', (d: string) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0; ) {
        const m = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        seen.push(m.execute);
        c.write(JSON.stringify({ return: {}, id: m.id }) + '\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, 'qmp-libxl-4'), r));
  t.after(() => server.close());
  await w.xl(['list', '-l', 'win-1']);
  await w.xl(['pause', 'win-1']);
  await w.xl(['unpause', 'win-1']);
  assert.deepEqual(seen, ['qmp_capabilities', 'query-status', 'qmp_capabilities', 'query-status'], 'list -l and unpause each had a QMP session; pause has none');
  const lock = join(dir, 'userdata-l.4.44444444-0000-4000-8000-000000000000.qmp-socket-lock');
  const holder = spawn('flock', [lock, 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  await waitUntilLocked(lock);
  await assert.rejects(w.xl(['list', '-l', 'win-1']), (e: unknown) => e instanceof BackendError && e.exitCode === 1 && /Failed to grab lock for qmp-socket-lock: timeout after 1500 ms/.test(e.stderr));
  holder.kill('SIGKILL');
  await rm(lock, { force: true });
});
