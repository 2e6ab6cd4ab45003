import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useLab } from '../util/lab-fixture.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { cli } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);
const fx = useLab('xensnap-revert-live-');

async function qmp<T>(command: string, args?: object): Promise<T> {
  const c = await QmpClient.connect(join(fx.lab.dir, 'run', 'web-3.qmp'));
  try {
    return await c.execute<T>(command, args);
  } finally {
    c.close();
  }
}

test('revert --stop of a live snapshot of the standalone web-3: restarted from the inventory launch line with its memory, disks as at the snapshot', async () => {
  const hmp = (cmd: string) => qmp<string>('human-monitor-command', { 'command-line': `qemu-io -d vd1/virtio-backend "${cmd}"` });
  await hmp('write -P 0x5a 0 1M');
  const made = await cli(fx.lab.qemuConfig, 'create', 'web-3', '-n', 'l1', '--live');
  assert.equal(made.code, 0);
  assert.match(made.out, /^created snapshot l1 of web-3 \(live, external, disks xvda, xvdb\); memory \d+\.\d (KiB|MiB|GiB), paused \d+ ms\n$/);
  await hmp('write -P 0x6b 0 1M'); // after the snapshot: the revert must undo it
  const r = await cli(fx.lab.qemuConfig, 'revert', 'web-3', 'l1', '--yes', '--stop');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\nreverted web-3 to l1; the previous state is snapshot pre-revert-\d{8}T\d{6}Z; web-3 is running\n$/);
  assert.equal((await qmp<{ status: string }>('query-status')).status, 'running');
  await hmp('flush');
  const leaf = join(fx.lab.dir, 'images', 'web-3-xvdb.qcow2');
  const { stdout } = await exec('qemu-io', ['-U', '-r', '-f', 'qcow2', '-c', 'read -P 0x5a 0 1M', leaf]);
  assert.match(stdout, /^read 1048576\/1048576 bytes at offset 0\n/);
});
