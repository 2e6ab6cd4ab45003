import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationJournal } from '../../src/apply/journal.js';
import { recoverPending } from '../../src/apply/recover-pending.js';
import type { RecoverableBackend, RecoveryRequest } from '../../src/backends/backend.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { Domain } from '../../src/model/domain.js';

const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'paused', disks: [{ vdev: 'xvda', path: '/img/w.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };

test('a live snapshot killed while the domain was paused: recovery resumes it, then the backend rolls the disks back', async (t) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'xensnap-live-rec-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const j = await OperationJournal.begin(stateDir, { action: 'create', domainKey: domain.key, domainName: 'web-1', snapshot: 's1', backend: 'qdisk', detail: { type: 'external', mode: 'live' } });
  await j.intent('live-pause', { stateBefore: 'running' });
  await j.done('live-pause');
  await j.intent('create-overlay:xvda', { vdev: 'xvda' });
  await j.abandon();
  const log: string[] = [];
  const driver = {
    kind: 'qemu',
    status: async () => (log.includes('resume') ? 'running' : 'paused'),
    resume: async () => void log.push('resume'),
  } as unknown as HypervisorDriver;
  const backend = {
    name: 'qdisk',
    refusal: () => null,
    create: async () => [],
    delete: async () => {},
    recover: async (req: RecoveryRequest) => {
      log.push(`recover ${req.domain.state} ${req.steps.map((s) => s.step).join(',')}`);
      return { outcome: 'rolled-back', messages: ['disk xvda: rolled back'] };
    },
  } as RecoverableBackend;
  const deps = { stateDir, domains: [domain], backends: { qdisk: backend, blktap: backend }, records: { exists: async () => false, remove: async () => {}, write: async () => {} }, driver };
  const r = await recoverPending(deps);
  assert.deepEqual(r.unresolved, []);
  assert.deepEqual(log, ['resume', 'recover running create-overlay:xvda']);
  assert.deepEqual(r.recovered, ['create of s1 on web-1: rolled-back (domain web-1 was left paused by the interrupted live snapshot; resumed; disk xvda: rolled back)']);
  assert.deepEqual(await readdir(join(stateDir, '.journal')), []);
  assert.deepEqual(await recoverPending(deps), { recovered: [], unresolved: [] });
});
