import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { BackendError } from '../../src/errors.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { humanMonitor } from '../../src/qmp/human-monitor.js';
import { startVm } from '../util/qemu-vm.js';
import { fakeQmpServer } from './fake-qmp-server.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qmp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a real QEMU: greeting, commands, QMP errors, events and HMP text checks', async (t) => {
  const dir = await tempDir(t);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'a.qcow2'), '16M']);
  const vm = await startVm({ dir, disks: [{ path: join(dir, 'a.qcow2') }] });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());

  assert.deepEqual(await c.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });

  await assert.rejects(c.execute('blockdev-del', { 'node-name': 'nope' }), (err: unknown) => {
    assert.ok(err instanceof BackendError);
    assert.equal(
      err.message,
      `QMP blockdev-del failed: GenericError: Failed to find node with node-name='nope' (command: qmp blockdev-del {"node-name":"nope"}; stderr: GenericError: Failed to find node with node-name='nope')`,
    );
    return true;
  });

  const resumed = c.waitForEvent('RESUME', () => true, 5_000);
  await c.execute('cont');
  assert.equal((await resumed).event, 'RESUME');
  assert.equal(((await c.execute('query-status')) as { status: string }).status, 'running');

  // HMP answers a wrong device inside a successful QMP reply: the helper must read the text.
  await assert.rejects(humanMonitor(c, 'qemu-io -d vd0 "write 0 1k"'), {
    message: 'HMP command failed: Error: Device does not have a block device backend (command: qmp human-monitor-command qemu-io -d vd0 "write 0 1k"; stderr: Error: Device does not have a block device backend)',
  });
  assert.equal(await humanMonitor(c, 'qemu-io -d /machine/peripheral/vd0/virtio-backend "write -P 0x5a 0 4k"'), '');
  assert.match(vm.stdout(), /wrote 4096\/4096 bytes at offset 0/);
});

test('replies are matched by id across split chunks, out of order and around events', async (t) => {
  const dir = await tempDir(t);
  const sock = join(dir, 'fake.sock');
  const held: Array<{ id: string; s: import('node:net').Socket }> = [];
  const server = await fakeQmpServer(sock, (cmd, s) => {
    held.push({ id: cmd.id, s });
    if (held.length < 2) return;
    const [a, b] = held as [{ id: string; s: import('node:net').Socket }, { id: string; s: import('node:net').Socket }];
    const replyB = `{"return": {"who": "second"}, "id": "${b.id}"}\r\n`;
    const event = '{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n';
    const replyA = `{"return": {"who": "first"}, "id": "${a.id}"}\r\n`;
    const all = replyB + event + replyA;
    s.write(all.slice(0, 7));
    setTimeout(() => s.write(all.slice(7, 60)), 10);
    setTimeout(() => s.write(all.slice(60)), 20);
  });
  t.after(() => server.close());
  const c = await QmpClient.connect(sock);
  t.after(() => c.close());
  const events: string[] = [];
  c.on('event', (ev: { event: string }) => events.push(ev.event));
  const [first, second] = await Promise.all([c.execute('one'), c.execute('two')]);
  assert.deepEqual(first, { who: 'first' });
  assert.deepEqual(second, { who: 'second' });
  assert.deepEqual(events, ['STOP']);
});

test('a socket that dies mid-request rejects every pending request; later commands fail at once', async (t) => {
  const dir = await tempDir(t);
  const sock = join(dir, 'fake.sock');
  let n = 0;
  const server = await fakeQmpServer(sock, (_cmd, s) => {
    if (++n === 2) s.destroy();
  });
  t.after(() => server.close());
  const c = await QmpClient.connect(sock);
  const a = c.execute('query-jobs');
  const b = c.execute('query-block', { flat: true });
  await assert.rejects(a, { message: `QMP connection to ${sock} closed while waiting for query-jobs (command: qmp query-jobs)` });
  await assert.rejects(b, { message: `QMP connection to ${sock} closed while waiting for query-block (command: qmp query-block {"flat":true})` });
  await assert.rejects(c.waitForEvent('STOP'), { message: `QMP connection to ${sock} closed while waiting for event STOP (command: qmp wait STOP)` });
  await assert.rejects(c.execute('query-status'), { message: `QMP connection to ${sock} closed while waiting for query-status (command: qmp query-status)` });
});

test('a silent peer times out with the command named; a missing socket fails to connect', async (t) => {
  const dir = await tempDir(t);
  const sock = join(dir, 'fake.sock');
  const server = await fakeQmpServer(sock, () => {});
  t.after(() => server.close());
  const c = await QmpClient.connect(sock);
  t.after(() => c.close());
  await assert.rejects(c.execute('query-status', undefined, { timeoutMs: 50 }), {
    message: `QMP query-status on ${sock} timed out after 50 ms (command: qmp query-status)`,
  });
  await assert.rejects(QmpClient.connect(join(dir, 'none.sock')), {
    message: `QMP connection to ${join(dir, 'none.sock')} failed: connect ENOENT ${join(dir, 'none.sock')} (command: qmp connect ${join(dir, 'none.sock')})`,
  });
});
