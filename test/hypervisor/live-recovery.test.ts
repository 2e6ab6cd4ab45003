import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverLiveSteps, type LiveJournalStep } from '../../src/hypervisor/live-recovery.js';
import type { HypervisorDriver, LiveState } from '../../src/hypervisor/driver.js';
import { qdisk, testDomain } from '../util/image-refs.js';

function driverIn(state: LiveState, calls: string[]): HypervisorDriver {
  return {
    kind: 'qemu', memoryAfterDisks: true, saveSuspends: false,
    status: async () => state,
    pause: async () => void calls.push('pause'),
    resume: async () => void calls.push('resume'),
    saveMemory: async () => {}, restore: async (d) => d, destroy: async () => {},
    qmp: () => Promise.reject(new Error('unused')), guestAgent: () => null,
  };
}

test('crash during the memory save: the partial image goes, the paused domain is resumed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lrec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 's1.save');
  await writeFile(file, 'half');
  const calls: string[] = [];
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const steps: LiveJournalStep[] = [
    { step: 'live.pause', detail: { domain: 'web-1', hypervisor: 'qemu', stateBefore: 'running' }, done: true },
    { step: 'live.disks', detail: { snapshot: 's1', type: 'external' }, done: true },
    { step: 'live.save-memory', detail: { file }, done: false },
  ];
  const messages = await recoverLiveSteps(steps, domain, driverIn('paused', calls));
  assert.deepEqual(calls, ['resume']);
  assert.deepEqual(await readdir(dir), []);
  assert.deepEqual(messages, [`removed the incomplete memory image ${file}`, 'domain web-1 was left paused by the interrupted live snapshot; resumed']);
});

test('no resume when the snapshot had resumed, when the operator had paused the domain, or when it runs already', async () => {
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const pause = (stateBefore: string, done: boolean): LiveJournalStep => ({ step: 'live.pause', detail: { domain: 'web-1', hypervisor: 'qemu', stateBefore }, done });
  const cases: [LiveJournalStep[], LiveState][] = [
    [[pause('running', true), { step: 'live.resume', detail: { domain: 'web-1' }, done: true }], 'paused'],
    [[pause('paused', true)], 'paused'],
    [[pause('running', false)], 'running'],
  ];
  for (const [steps, state] of cases) {
    const calls: string[] = [];
    const messages = await recoverLiveSteps(steps, domain, driverIn(state, calls));
    assert.deepEqual(calls, []);
    assert.deepEqual(messages, []);
  }
});
