import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestAgentClient } from '../../src/guest-agent/guest-agent-client.js';
import { withQuiesce } from '../../src/guest-agent/quiesce.js';
import { startAgent } from './standin.js';

const SYNC = 'guest-sync-delimited';

test('client: delimited handshake, freeze, status, thaw', async (t) => {
  const agent = await startAgent(t);
  const c = await GuestAgentClient.connect(agent.socket, 2000);
  assert.equal(await c.execute('guest-fsfreeze-freeze', undefined, 2000), 2);
  assert.equal(await c.execute('guest-fsfreeze-status', undefined, 2000), 'frozen');
  assert.equal(await c.execute('guest-fsfreeze-thaw', undefined, 2000), 2);
  assert.equal(await c.execute('guest-fsfreeze-status', undefined, 2000), 'thawed');
  c.close();
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-fsfreeze-freeze', 'guest-fsfreeze-status', 'guest-fsfreeze-thaw', 'guest-fsfreeze-status']);
});

test('client: falls back to guest-sync for an agent without guest-sync-delimited', async (t) => {
  const agent = await startAgent(t, { noDelimited: true });
  const c = await GuestAgentClient.connect(agent.socket, 2000);
  assert.equal(await c.execute('guest-fsfreeze-status', undefined, 2000), 'thawed');
  c.close();
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-sync', 'guest-fsfreeze-status']);
});

test('client: error replies and timeouts are BackendErrors naming the command', async (t) => {
  const agent = await startAgent(t, { hang: ['guest-fsfreeze-status'], fail: { 'guest-fsfreeze-thaw': 1 } });
  const c = await GuestAgentClient.connect(agent.socket, 2000);
  await assert.rejects(c.execute('guest-fsfreeze-thaw', undefined, 2000), {
    name: 'BackendError',
    message: `guest agent at ${agent.socket}: guest-fsfreeze-thaw failed: GenericError: injected failure of guest-fsfreeze-thaw (command: qga guest-fsfreeze-thaw ${agent.socket})`,
  });
  await assert.rejects(c.execute('guest-fsfreeze-status', undefined, 200), /guest-fsfreeze-status failed: no answer within the timeout/);
  c.close();
});

test('withQuiesce: freeze before, thaw after, each on its own synchronised session', async (t) => {
  const agent = await startAgent(t);
  const notes: string[] = [];
  const seenInside = await withQuiesce({ mode: 'preferred', socket: agent.socket, domainName: 'web-1' }, notes, () => agent.commands());
  assert.deepEqual(seenInside, [SYNC, 'guest-fsfreeze-freeze']);
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-fsfreeze-freeze', SYNC, 'guest-fsfreeze-thaw']);
  assert.deepEqual(notes, []);
});

test('withQuiesce: thaws when the snapshot fails, and the snapshot error is what the caller sees', async (t) => {
  const agent = await startAgent(t);
  await assert.rejects(
    withQuiesce({ mode: 'required', socket: agent.socket, domainName: 'web-1' }, [], async () => {
      throw new Error('disk snapshot failed');
    }),
    { message: 'disk snapshot failed' },
  );
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-fsfreeze-freeze', SYNC, 'guest-fsfreeze-thaw']);
});

test('withQuiesce: no agent configured — preferred goes on crash-consistent with a note, required skips', async () => {
  const notes: string[] = [];
  let ran = 0;
  await withQuiesce({ mode: 'preferred', socket: null, domainName: 'web-1' }, notes, async () => void ran++);
  assert.equal(ran, 1);
  assert.deepEqual(notes, ['domain web-1: could not quiesce (the host config names no guest agent for it); the snapshot is crash-consistent']);
  await assert.rejects(withQuiesce({ mode: 'required', socket: null, domainName: 'web-1' }, [], async () => void ran++), {
    name: 'BackendError',
    message: 'domain web-1: quiesce is required but the host config names no guest agent for it; snapshot skipped',
  });
  assert.equal(ran, 1);
  const e = await withQuiesce({ mode: 'required', socket: null, domainName: 'web-1' }, [], async () => {}).catch((x: { skip?: boolean }) => x);
  assert.equal((e as { skip?: boolean }).skip, true);
});

test('withQuiesce: a hanging freeze times out; preferred proceeds (after a thaw), required skips', async (t) => {
  const agent = await startAgent(t, { hang: ['guest-fsfreeze-freeze'] });
  const notes: string[] = [];
  let ran = 0;
  await withQuiesce({ mode: 'preferred', socket: agent.socket, domainName: 'web-1', timeoutMs: 300 }, notes, async () => void ran++);
  assert.equal(ran, 1);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /^domain web-1: could not quiesce \(the guest agent at .* did not freeze: guest agent at .*: guest-fsfreeze-freeze failed: no answer within the timeout.*\); the snapshot is crash-consistent$/);
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-fsfreeze-freeze', SYNC, 'guest-fsfreeze-thaw']);
  await assert.rejects(
    withQuiesce({ mode: 'required', socket: agent.socket, domainName: 'web-1', timeoutMs: 300 }, [], async () => void ran++),
    /^BackendError: domain web-1: quiesce is required but the guest agent at .* did not freeze/,
  );
  assert.equal(ran, 1);
});

test('withQuiesce: unreachable socket under preferred is a note; a thaw that fails once is retried', async (t) => {
  const notes: string[] = [];
  await withQuiesce({ mode: 'preferred', socket: '/nonexistent/qga.sock', domainName: 'web-1', timeoutMs: 300 }, notes, async () => {});
  assert.match(notes[0]!, /could not quiesce \(the guest agent at \/nonexistent\/qga.sock did not freeze: .*ENOENT/);
  const agent = await startAgent(t, { fail: { 'guest-fsfreeze-thaw': 1 } });
  const notes2: string[] = [];
  await withQuiesce({ mode: 'required', socket: agent.socket, domainName: 'web-1' }, notes2, async () => {});
  assert.deepEqual(await agent.commands(), [SYNC, 'guest-fsfreeze-freeze', SYNC, 'guest-fsfreeze-thaw', SYNC, 'guest-fsfreeze-thaw']);
  assert.equal(notes2.length, 1);
  assert.match(notes2[0]!, /^domain web-1: first thaw failed \(.*injected failure of guest-fsfreeze-thaw.*\); retrying$/);
});
