// The typed journal protocol at recovery: every operation and step is checked before anything is
// touched; what is unknown or malformed is unresolved work naming the journal file, never
// mistaken for another kind (a revert is never "rolled back" as a create).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverPending, type RecoveryDeps } from '../../src/apply/recover-pending.js';
import { blockedKeys } from '../../src/apply/unresolved-work.js';
import type { RecoverableBackend } from '../../src/backends/backend.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { Domain } from '../../src/model/domain.js';

const domain: Domain = { key: 'name-web-1', uuid: null, name: 'web-1', state: 'shutoff', disks: [{ vdev: 'xvda', path: '/img/w.qcow2', format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };
const seed = { snapshot: 's1', description: '', slot: null, policy: null, policyRevision: null, deletionPolicy: 'Retain', mode: 'disk-only', type: 'external', pin: false };
const createOp = { action: 'create', domainKey: 'name-web-1', domainName: 'web-1', snapshot: 's1', backend: 'qdisk', detail: { type: 'external', mode: 'disk-only', disks: ['xvda'], domainState: 'shutoff', seed, diskPaths: [] } };

async function world(t: { after(fn: () => Promise<void>): void }) {
  const stateDir = await mkdtemp(join(tmpdir(), 'xensnap-proto-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  await mkdir(join(stateDir, '.journal'), { recursive: true });
  const calls: string[] = [];
  const backend = {
    name: 'qdisk', refusal: () => null, create: async () => [], delete: async () => {},
    recover: async (req: { action: string }) => (calls.push(`recover ${req.action}`), { outcome: 'rolled-back' as const, messages: [] }),
  } as unknown as RecoverableBackend;
  const driver = { kind: 'qemu', status: async () => 'shutoff' } as unknown as HypervisorDriver;
  const deps: RecoveryDeps = { stateDir, domains: [domain], backends: { qdisk: backend, blktap: backend }, records: { exists: async () => false, remove: async () => {}, write: async () => {} }, driver };
  const journal = async (name: string, lines: object[] | string) => {
    const file = join(stateDir, '.journal', `${name}.jsonl`);
    await writeFile(file, typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l) + '\n').join(''));
    return file;
  };
  return { stateDir, calls, deps, journal };
}

const begin = (op: object, v = 2) => ({ t: 'begin', v, op, at: '2026-01-01T00:00:00.000Z' });

test('unknown operations and steps, malformed steps, steps of the wrong owner or backend, other versions: unresolved, naming the file; nothing recovered', async (t) => {
  const w = await world(t);
  const cases: [string, object[], string, string][] = [
    ['a', [begin({ ...createOp, action: 'rename' })], 'rename of s1', 'unknown operation "rename"'],
    ['b', [begin({ ...createOp, action: 'revert' })], 'revert of s1', 'a revert without its plan (target, pre-revert snapshot, disks)'],
    ['c', [begin(createOp), { t: 'intent', step: 'revert-disk:xvda', detail: { leaf: '/img/w.qcow2' } }], 'create of s1', 'unknown step "revert-disk:xvda"'],
    ['d', [begin(createOp), { t: 'intent', step: 'qdisk-offline.external-link', detail: { vdev: 'xvda' } }], 'create of s1', 'step qdisk-offline.external-link is malformed (detail {"vdev":"xvda"})'],
    ['e', [begin(createOp), { t: 'intent', step: 'blktap.link-frozen', detail: { vdev: 'xvda', leaf: '/a', frozen: '/b', child: '/c' } }], 'create of s1', 'step blktap.link-frozen does not belong to the qdisk backend of this create'],
    ['f', [begin({ ...createOp, action: 'delete', detail: { ...createOp.detail, snapshotDisks: [] } }), { t: 'intent', step: 'live.pause', detail: { domain: 'web-1', hypervisor: 'qemu', stateBefore: 'running' } }], 'delete of s1', 'step live.pause does not belong to a delete'],
    ['g', [begin(createOp, 1)], 'create of s1', 'written in journal format 1; this xensnap reads format 2'],
  ];
  for (const [name, lines] of cases) await w.journal(name, lines);
  const r = await recoverPending(w.deps);
  assert.deepEqual(r.recovered, []);
  assert.deepEqual(w.calls, [], 'no backend was asked to recover anything');
  assert.deepEqual(
    r.unresolved.map((u) => [u.journal, u.domainKey, u.operation, u.reason]).sort(),
    cases.map(([name, , op, reason]) => [join(w.stateDir, '.journal', `${name}.jsonl`), 'name-web-1', op, reason]).sort(),
  );
  assert.equal((await readdir(join(w.stateDir, '.journal'))).length, cases.length, 'every journal is kept');
});

test('an unreadable journal blocks every domain; one that never began a step is removed', async (t) => {
  const w = await world(t);
  const bad = await w.journal('x', `${JSON.stringify(begin(createOp))}\nnot json\n{"t":"done","step":"a"}\n`);
  await w.journal('y', '{"t":"beg');
  const r = await recoverPending(w.deps);
  assert.deepEqual(r.unresolved, [{ journal: bad, domainKey: null, domainName: null, operation: 'unreadable journal', reason: 'line 2 is not JSON' }]);
  assert.deepEqual([...blockedKeys(r.unresolved, ['name-web-1', 'name-db-1'])], ['name-web-1', 'name-db-1']);
  assert.deepEqual(await readdir(join(w.stateDir, '.journal')), ['x.jsonl']);
});

test('a revert journal goes to the revert recovery, never to the backend as a create', async (t) => {
  const w = await world(t);
  const temp = join(w.stateDir, '.w.qcow2.xensnap-revert');
  await writeFile(temp, 'half a leaf');
  const disk = { vdev: 'xvda', leaf: '/img/w.qcow2', format: 'qcow2', method: 'fresh-leaf', tag: null, source: '/img/w@e1.qcow2', temp, scratch: null };
  const op = {
    action: 'revert', domainKey: 'name-web-1', domainName: 'web-1', snapshot: 'e1', backend: 'qdisk',
    detail: { target: 'e1', targetType: 'external', preRevert: 'pre-revert-20260101T000000Z', preRevertType: 'external', stopFirst: false, stateBefore: 'shutoff', disks: [disk], memory: null, after: 'shutoff' },
  };
  await w.journal('r', [begin(op), { t: 'intent', step: 'revert.build-leaf', detail: { ...disk, preFrozen: '/img/w@pre-revert-20260101T000000Z.qcow2' } }]);
  const r = await recoverPending(w.deps);
  assert.deepEqual(r.unresolved, []);
  assert.deepEqual(r.recovered, ['revert of e1 on web-1: rolled back: web-1 is as before the revert: its disks are as they were and no pre-revert snapshot was kept; web-1 is shut off']);
  assert.deepEqual(w.calls, []);
  assert.deepEqual(await readdir(w.stateDir), ['.journal'], 'the half-built leaf is gone');
  assert.deepEqual(await readdir(join(w.stateDir, '.journal')), []);
});
