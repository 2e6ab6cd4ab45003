// Order of the live sequence around quiesce, with hand-written driver and backend doubles that
// record what they are asked (the real QEMU paths are in qemu-live-snapshot and live-failures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { SnapshotBackend } from '../../src/backends/backend.js';
import { QmpClient } from '../../src/qmp/qmp-client.js';
import { RecordingJournal, qdisk, testDomain } from '../util/image-refs.js';
import { startAgent, type Agent } from '../guest-agent/standin.js';

function doubles(events: string[], agent: Agent | null, opts: { memoryAfterDisks: boolean; failDisks?: boolean; saveSuspends?: boolean }) {
  const note = async (what: string): Promise<void> => {
    events.push(agent ? `${what} [agent saw: ${(await agent.commands()).filter((c) => c.startsWith('guest-fsfreeze')).join(',') || '-'}]` : what);
  };
  const driver: HypervisorDriver = {
    kind: 'xen',
    saveSuspends: opts.saveSuspends ?? false,
    memoryAfterDisks: opts.memoryAfterDisks,
    status: async () => 'running',
    pause: () => note('pause'),
    resume: () => note('resume'),
    saveMemory: async (_d, file) => {
      await writeFile(file, 'memory image');
      await note('save');
    },
    restore: async (d) => d,
    destroy: async () => {},
    qmp: async () => Promise.reject(new Error('unused')) as Promise<QmpClient>,
    guestAgent: () => agent?.socket ?? null,
  };
  const backend: SnapshotBackend = {
    name: 'qdisk',
    refusal: () => null,
    create: async (req) => {
      await note(`disks(${req.domain.state})`);
      if (opts.failDisks) throw new Error('disks failed');
      return req.disks.map((d) => ({ vdev: d.vdev, format: 'qcow2', backend: 'qdisk', frozenPath: `${d.path}@x` }));
    },
    delete: async () => void (await note('undo-disks')),
  };
  return { driver, backend };
}

async function stateDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-order-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('quiesced live snapshot: freeze → pause → save → disks → resume → thaw', async (t) => {
  const agent = await startAgent(t);
  const events: string[] = [];
  const { driver, backend } = doubles(events, agent, { memoryAfterDisks: false });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const r = await takeLiveSnapshot({
    domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir: await stateDir(t),
    quiesce: 'required', guestAgentSocket: agent.socket,
  });
  assert.deepEqual(events, [
    'pause [agent saw: guest-fsfreeze-freeze]',
    'save [agent saw: guest-fsfreeze-freeze]',
    'disks(paused) [agent saw: guest-fsfreeze-freeze]',
    'resume [agent saw: guest-fsfreeze-freeze]',
  ]);
  assert.deepEqual((await agent.commands()).filter((c) => c.startsWith('guest-fsfreeze')), ['guest-fsfreeze-freeze', 'guest-fsfreeze-thaw']);
  assert.equal(r.memoryBytes, 'memory image'.length);
});

test('memory-first order, disks fail: the memory file is removed, the domain resumed, then thawed', async (t) => {
  const agent = await startAgent(t);
  const events: string[] = [];
  const { driver, backend } = doubles(events, agent, { memoryAfterDisks: false, failDisks: true });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const dir = await stateDir(t);
  await assert.rejects(
    takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir: dir, quiesce: 'preferred', guestAgentSocket: agent.socket }),
    { message: 'disks failed' },
  );
  assert.deepEqual(events.map((e) => e.split(' ')[0]), ['pause', 'save', 'disks(paused)', 'resume']);
  assert.deepEqual(await readdir(join(dir, domain.key)), []);
  assert.deepEqual((await agent.commands()).filter((c) => c.startsWith('guest-fsfreeze')), ['guest-fsfreeze-freeze', 'guest-fsfreeze-thaw']);
});

test('disks-first order (qemu), memory save fails: the disk snapshot is undone before resuming', async (t) => {
  const events: string[] = [];
  const { driver, backend } = doubles(events, null, { memoryAfterDisks: true });
  driver.saveMemory = async (_d, file) => {
    await writeFile(file, 'half');
    throw new Error('migrate failed');
  };
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const dir = await stateDir(t);
  const journal = new RecordingJournal();
  await assert.rejects(
    takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal, stateDir: dir, quiesce: 'off', guestAgentSocket: null }),
    { message: 'migrate failed' },
  );
  assert.deepEqual(events, ['pause', 'disks(paused)', 'undo-disks', 'resume']);
  assert.deepEqual(await readdir(join(dir, domain.key)), []);
  assert.deepEqual(journal.lines, ['intent:live.pause', 'done:live.pause', 'intent:live.disks', 'done:live.disks', 'intent:live.save-memory', 'intent:live.resume', 'done:live.resume']);
});

test('quiesce required with an unreachable agent: skipped before the domain is paused', async (t) => {
  const events: string[] = [];
  const { driver, backend } = doubles(events, null, { memoryAfterDisks: false });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  await assert.rejects(
    takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir: await stateDir(t), quiesce: 'required', guestAgentSocket: '/nonexistent/qga.sock' }),
    (e: Error & { skip?: boolean }) => e.skip === true && /^domain web-1: quiesce is required but the guest agent at \/nonexistent\/qga.sock did not freeze/.test(e.message),
  );
  assert.deepEqual(events, []);
});

test('a domain its operator paused is snapshotted paused and left paused (no pause, no resume)', async (t) => {
  const events: string[] = [];
  const { driver, backend } = doubles(events, null, { memoryAfterDisks: false });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'paused');
  const journal = new RecordingJournal();
  await takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal, stateDir: await stateDir(t), quiesce: 'off', guestAgentSocket: null });
  assert.deepEqual(events, ['save', 'disks(paused)']);
  assert.deepEqual(journal.lines, ['intent:live.pause', 'done:live.pause', 'intent:live.save-memory', 'done:live.save-memory', 'intent:live.disks', 'done:live.disks']);
});

test('a journal that fails at the resume step does not keep the domain paused', async (t) => {
  const events: string[] = [];
  const { driver, backend } = doubles(events, null, { memoryAfterDisks: false });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const journal = new RecordingJournal((step) => {
    if (step === 'live.resume') throw new Error('disk full');
  });
  const r = await takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal, stateDir: await stateDir(t), quiesce: 'off', guestAgentSocket: null });
  assert.deepEqual(events, ['pause', 'save', 'disks(paused)', 'resume']);
  assert.deepEqual(r.findings.map((f) => f.message), ['domain web-1: the journal could not record the resume (disk full)']);
});

test('an existing memory image of the same name is refused before the domain is paused', async (t) => {
  const events: string[] = [];
  const { driver, backend } = doubles(events, null, { memoryAfterDisks: false });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const dir = await stateDir(t);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, domain.key), { recursive: true });
  await writeFile(join(dir, domain.key, 's1.save'), 'older');
  await assert.rejects(
    takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir: dir, quiesce: 'off', guestAgentSocket: null }),
    { name: 'BackendError', message: `memory image ${join(dir, domain.key, 's1.save')} already exists; snapshot s1 was taken before` },
  );
  assert.deepEqual(events, []);
});

test('xen (the save suspends the guest): freeze → save → disks → resume → thaw, no pause; a paused guest is refused before anything', async (t) => {
  const agent = await startAgent(t);
  const events: string[] = [];
  const { driver, backend } = doubles(events, agent, { memoryAfterDisks: false, saveSuspends: true });
  const domain = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'running');
  const dir = await stateDir(t);
  const journal = new RecordingJournal();
  await takeLiveSnapshot({ domain, disks: domain.disks, snapshot: 's1', type: 'external', backend, driver, journal, stateDir: dir, quiesce: 'required', guestAgentSocket: agent.socket });
  assert.deepEqual(events, [
    'save [agent saw: guest-fsfreeze-freeze]',
    'disks(paused) [agent saw: guest-fsfreeze-freeze]',
    'resume [agent saw: guest-fsfreeze-freeze]',
  ]);
  assert.deepEqual(journal.lines.slice(0, 2), ['intent:live.pause', 'done:live.pause']); // recovery still knows it may be paused
  events.length = 0;
  const paused = testDomain([qdisk('xvda', '/srv/a.qcow2')], 'paused');
  await assert.rejects(
    takeLiveSnapshot({ domain: paused, disks: paused.disks, snapshot: 's2', type: 'external', backend, driver, journal: new RecordingJournal(), stateDir: dir, quiesce: 'off', guestAgentSocket: null }),
    { name: 'BackendError', message: `domain ${paused.name} is paused: xl save must ask the guest to suspend, which a paused guest cannot acknowledge (libxl gives up after 60 s); unpause it for a snapshot with memory, or take a disk-only one` },
  );
  assert.deepEqual(events, []);
  assert.deepEqual((await readdir(join(dir, paused.key))).sort(), ['s1.save']); // no s2.save was begun
});
