import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { runJob } from '../../src/qmp/jobs.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { startVm } from '../util/qemu-vm.js';
import { fakeQmpServer } from './fake-qmp-server.js';

test('active commit on a real QEMU: waits for ready, completes, reports progress, dismisses', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-jobs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const base = join(dir, 'base.qcow2');
  const top = join(dir, 'top.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, '8M']);
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 1M', base]);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, top]);
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x22 512k 1M', top]);
  const vm = await startVm({ dir, disks: [{ path: top }] });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const seen: Array<[number, number]> = [];
  await runJob(c, 'commit1', () => c.execute('block-commit', { 'job-id': 'commit1', device: 'xvda-qcow2', 'auto-dismiss': false }), {
    completeWhenReady: true,
    progress: (d, tot) => seen.push([d, tot]),
  });
  assert.deepEqual(await c.execute('query-jobs'), []);
  const last = seen.at(-1)!;
  assert.equal(last[0], last[1]);
  assert.ok(last[1] > 0);
  await vm.stop();
  // The base now holds both writes.
  const { stdout } = await run('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x11 0 512k', '-c', 'read -P 0x22 512k 1M', base]);
  assert.doesNotMatch(stdout, /fail/i);
});

test('a concluded job with an error is dismissed and reported with QEMU\'s text', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-jobs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sock = join(dir, 'fake.sock');
  const sent: string[] = [];
  const server = await fakeQmpServer(sock, (cmd, s) => {
    sent.push(cmd.execute);
    const ret =
      cmd.execute === 'query-jobs'
        ? [{ id: 'j1', type: 'stream', status: 'concluded', 'current-progress': 5, 'total-progress': 9, error: 'Input/output error' }]
        : {};
    s.write(`${JSON.stringify({ return: ret, id: cmd.id })}\n`);
  });
  t.after(() => server.close());
  const c = await QmpClient.connect(sock);
  t.after(() => c.close());
  const progress: Array<[number, number]> = [];
  await assert.rejects(runJob(c, 'j1', () => c.execute('block-stream', { 'job-id': 'j1', device: 'x' }), { progress: (d, tot) => progress.push([d, tot]) }), {
    message: 'QEMU job j1 (stream) failed: Input/output error (command: qmp query-jobs j1; stderr: Input/output error)',
  });
  assert.deepEqual(sent, ['block-stream', 'query-jobs', 'job-dismiss']);
  assert.deepEqual(progress, [[5, 9]]);
});
