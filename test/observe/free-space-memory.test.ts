// A live snapshot's memory estimate: the guest memory a real QEMU reports over QMP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestMemoryBytes } from '../../src/observe/observe-host.js';
import { startVm } from '../util/qemu-vm.js';

test('guestMemoryBytes: query-memory-size-summary of a running QEMU', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-mem-'));
  const vm = await startVm({ dir, disks: [], memMb: 96 });
  t.after(async () => {
    await vm.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const client = await vm.client();
  try {
    assert.equal(await guestMemoryBytes(client), 96 * 1048576);
  } finally {
    client.close();
  }
  // a closed connection cannot say: null, not an error
  assert.equal(await guestMemoryBytes(client), null);
});
