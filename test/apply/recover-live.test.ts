import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationJournal } from '../../src/journal/operation-journal.js';
import { recoverPending } from '../../src/apply/recover-pending.js';
import type { RecoverableBackend, RecoveryRequest } from '../../src/backends/backend.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { Domain } from '../../src/model/domain.js';
import type { CreateOp } from '../../src/apply/journal-ops.js';

const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'paused', disks: [{ vdev: 'xvda', path: '/img/w.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };

test('a live snapshot killed while the domain was paused: recovery resumes it, then the backend rolls the disks back', async (t) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'xensnap-live-rec-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const seed = { snapshot: 's1', description: '', slot: null, policy: null, policyRevision: null, deletionPolicy: 'Retain', mode: 'live', type: 'external', pin: false } as const;
  const op: CreateOp = {
    action: 'create', domainKey: domain.key, domainName: 'web-1', snapshot: 's1', backend: 'qdisk',
    detail: { type: 'external', mode: 'live', disks: ['xvda'], domainState: 'running', seed, diskPaths: [{ vdev: 'xvda', path: '/img/w.qcow2', format: 'qcow2', backend: 'qdisk' }] },
  };
  const j = await OperationJournal.begin(stateDir, op);
  await j.intent('live.pause', { domain: 'web-1', hypervisor: 'qemu', stateBefore: 'running' });
  await j.done('live.pause');
  await j.intent('qdisk-online.create-overlay', { vdev: 'xvda', leaf: '/img/w.qcow2', frozen: '/img/w@s1.qcow2', newPath: '/img/w.qcow2.xensnap-new', topNode: 'xvda-qcow2' });
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
  assert.deepEqual(log, ['resume', 'recover running qdisk-online.create-overlay']);
  assert.deepEqual(r.recovered, ['create of s1 on web-1: rolled-back (domain web-1 was left paused by the interrupted live snapshot; resumed; disk xvda: rolled back)']);
  assert.deepEqual(await readdir(join(stateDir, '.journal')), []);
  assert.deepEqual(await recoverPending(deps), { recovered: [], unresolved: [] });
});
