import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { withFile } from '../../../src/formats/file-access.js';
import { readQcow2Info } from '../../../src/formats/qcow2/read-qcow2-info.js';
import { qemuImg } from './qcow2-fixtures.js';
import { QmpTestSession } from './qmp-test-session.js';

test('a snapshot with VM state saved by a real QEMU: vm-state-size agrees with qemu-img', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qcow2-vmstate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const img = join(dir, 'disk.qcow2');
  const sock = join(dir, 'qmp.sock');
  await qemuImg(['create', '-q', '-f', 'qcow2', img, '16M']);
  await qemuImg(['snapshot', '-c', 'disk only', img]);

  const qemu = spawn(
    'qemu-system-x86_64',
    ['-machine', 'q35,accel=tcg', '-nodefaults', '-display', 'none', '-S', '-m', '64',
      '-blockdev', `driver=file,filename=${img},node-name=f0`, '-blockdev', 'driver=qcow2,file=f0,node-name=d0',
      '-device', 'virtio-blk-pci,drive=d0', '-qmp', `unix:${sock},server=on,wait=off`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  qemu.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(qemu, 'exit');
  t.after(async () => {
    if (qemu.exitCode === null && qemu.signalCode === null) {
      qemu.kill('SIGKILL');
      await exited;
    }
  });

  const qmp = await QmpTestSession.open(sock);
  try {
    const out = await qmp.execute('human-monitor-command', { 'command-line': 'savevm with-memory' });
    assert.equal(out, '', `savevm said: ${String(out)}`);
    await qmp.execute('quit').catch(() => {}); // QEMU may reset the socket before replying
  } finally {
    qmp.close();
  }
  await exited;
  assert.equal(qemu.exitCode, 0, stderr);

  const q = JSON.parse(await qemuImg(['info', '--output=json', img])) as { snapshots: { id: string; name: string; 'vm-state-size': number; 'date-sec': number; 'date-nsec': number }[] };
  const mine = await withFile(img, readQcow2Info);
  assert.deepEqual(
    mine.snapshots.map((s) => [s.id, s.name, s.dateSec, s.dateNsec, s.vmStateSize, s.diskSize]),
    q.snapshots.map((s) => [s.id, s.name, s['date-sec'], s['date-nsec'], s['vm-state-size'], 16 * 1024 * 1024]),
  );
  assert.equal(mine.snapshots.length, 2);
  assert.equal(mine.snapshots[0]!.vmStateSize, 0);
  assert.ok(mine.snapshots[1]!.vmStateSize > 10_000, `vm state of ${mine.snapshots[1]!.vmStateSize} bytes`);
});
