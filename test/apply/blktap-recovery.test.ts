// A running blktap domain killed (SIGKILL) at every step of a create and a delete, tapdisks paused
// by the dying process; recovery must leave consistent images and no tapdisk paused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLeaves, guestWrite, makeDomain, ownComposed, setupTapCtl } from '../backends/blktap/blktap-fixture.js';
import { BlktapBackend } from '../../src/backends/blktap/blktap-backend.js';
import { frozenImagePath } from '../../src/backends/backend.js';
import { recoverPending } from '../../src/apply/recover-pending.js';
import { OperationJournal } from '../../src/journal/operation-journal.js';
import { recordStore } from '../../src/apply/reconcile-once.js';
import type { Domain } from '../../src/model/domain.js';
import { assertVhdSound } from '../util/batmap-oracle.js';

const DRIVER = resolve(dirname(fileURLToPath(import.meta.url)), '../crash/blktap-driver.js');
const exists = (p: string) => access(p).then(() => true, () => false);

function drive(domainFile: string, stateDir: string, action: string, snapshot: string, crashAt?: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((res) => {
    const env = { ...process.env };
    if (crashAt) env.XENSNAP_TEST_CRASH_AT = crashAt;
    const c = spawn(process.execPath, [DRIVER, domainFile, stateDir, action, snapshot], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    c.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    c.on('exit', (code, signal) => res({ code, signal, out }));
  });
}

async function world(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bt-rec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const domain = makeDomain(dir, 2, 'running');
  await createLeaves(domain, 4 << 20);
  const tap = await setupTapCtl(dir, domain);
  for (const [i, d] of domain.disks.entries()) await guestWrite(d.path, i * 65536, Buffer.alloc(65536, 0x40 + i));
  const domainFile = join(dir, 'domain.json');
  await writeFile(domainFile, JSON.stringify(domain));
  const stateDir = join(dir, 'state');
  const deps = { stateDir, domains: [domain], backends: { qdisk: new BlktapBackend() as never, blktap: new BlktapBackend() }, records: recordStore };
  return { dir, domain, tap, domainFile, stateDir, deps };
}

const paused = async (state: string) => (JSON.parse(await readFile(state, 'utf8')) as { tapdisks: { paused: boolean }[] }).tapdisks.map((t) => t.paused);
const composed = async (d: Domain) => Promise.all(d.disks.map((x) => ownComposed(x.path)));

const CREATE_STEPS = [...['xvda', 'xvdb'].flatMap((v) => ['link-frozen', 'create-child', 'swap-leaf'].map((s) => `blktap.${s}:${v}`)), 'record.write'];
const DELETE_STEPS = [...['xvda', 'xvdb'].flatMap((v) => ['stream', 'relink', 'remove-frozen'].map((s) => `blktap.${s}:${v}`)), 'record.remove'];

for (const step of CREATE_STEPS) {
  test(`running blktap create killed at ${step}: recovered, no tapdisk paused`, async (t) => {
    const w = await world(t);
    const before = await composed(w.domain);
    const r = await drive(w.domainFile, w.stateDir, 'create', 's1', step);
    assert.equal(r.signal, 'SIGKILL', r.out);
    assert.deepEqual(await paused(w.tap.state), step === 'record.write' ? [false, false] : [true, true]);
    const rec = await recoverPending(w.deps);
    assert.deepEqual(rec.unresolved, []);
    assert.equal(rec.recovered.length, 1);
    assert.deepEqual(await paused(w.tap.state), [false, false]);
    const rolledForward = step === 'record.write';
    assert.match(rec.recovered[0]!, rolledForward ? /^create of s1 on web-1: the snapshot had been made; record written$/ : /^create of s1 on web-1: (rolled-back|nothing-to-do)/);
    assert.equal(await recordStore.exists(w.stateDir, w.domain.key, 's1'), rolledForward);
    for (const d of w.domain.disks) {
      assert.equal(await exists(frozenImagePath(d.path, 's1')), rolledForward);
      assert.equal(await exists(`${d.path}.xensnap-new`), false);
      await assertVhdSound(d.path);
    }
    assert.deepEqual(await composed(w.domain), before);
    assert.deepEqual(await readdir(join(w.stateDir, '.journal')), []);
    assert.deepEqual(await recoverPending(w.deps), { recovered: [], unresolved: [] });
  });
}

for (const step of DELETE_STEPS) {
  test(`running blktap delete killed at ${step}: finished, record removed, no tapdisk paused`, async (t) => {
    const w = await world(t);
    const made = await drive(w.domainFile, w.stateDir, 'create', 's1');
    assert.equal(made.code, 0, made.out);
    for (const [i, d] of w.domain.disks.entries()) await guestWrite(d.path, 3 * 65536 + i * 512, Buffer.alloc(4096, 0x60 + i));
    const before = await composed(w.domain);
    const r = await drive(w.domainFile, w.stateDir, 'delete', 's1', step);
    assert.equal(r.signal, 'SIGKILL', r.out);
    const rec = await recoverPending(w.deps);
    assert.deepEqual(rec.unresolved, []);
    assert.match(rec.recovered[0]!, /^delete of s1 on web-1: (finished|images were already merged; record removed)/);
    assert.deepEqual(await paused(w.tap.state), [false, false]);
    assert.equal(await recordStore.exists(w.stateDir, w.domain.key, 's1'), false);
    for (const d of w.domain.disks) {
      assert.equal(await exists(frozenImagePath(d.path, 's1')), false, `${d.vdev} frozen left`);
      await assertVhdSound(d.path);
    }
    assert.deepEqual(await composed(w.domain), before);
    assert.deepEqual(await recoverPending(w.deps), { recovered: [], unresolved: [] });
  });
}

test('a finished blktap create whose new leaf took guest writes is kept and recorded, not rolled back', async (t) => {
  const w = await world(t);
  const journal = await OperationJournal.begin(w.stateDir, {
    action: 'create', domainKey: w.domain.key, domainName: 'web-1', snapshot: 's2', backend: 'blktap',
    detail: {
      type: 'external', mode: 'disk-only', disks: ['xvda', 'xvdb'], domainState: 'running',
      seed: { snapshot: 's2', description: 'd', slot: null, policy: null, policyRevision: null, deletionPolicy: 'Retain', mode: 'disk-only', type: 'external', pin: false },
      diskPaths: w.domain.disks.map((d) => ({ vdev: d.vdev, path: d.path, format: 'vhd', backend: 'tap' })),
    },
  });
  const snapContent = await composed(w.domain);
  await new BlktapBackend().create({ domain: w.domain, disks: w.domain.disks, snapshot: 's2', type: 'external' }, journal);
  await journal.abandon(); // the process died before record.write
  await guestWrite(w.domain.disks[0]!.path, 0, Buffer.alloc(512, 0x77)); // the guest wrote to xvda only
  const leaves = await composed(w.domain);
  const rec = await recoverPending(w.deps);
  assert.deepEqual(rec.unresolved, []);
  assert.match(rec.recovered[0]!, /^create of s2 on web-1: kept \(record written: the snapshot is managed\) \(xvdb: snapshot kept with the domain's other disks; xvda: the new leaf already holds guest writes; snapshot kept\)$/);
  const record = JSON.parse(await readFile(join(w.stateDir, w.domain.key, 'snapshotdata-s2.json'), 'utf8')) as { disks: { frozenPath: string }[]; managedBy: string };
  assert.equal(record.managedBy, 'xensnap');
  assert.deepEqual(record.disks.map((d) => d.frozenPath), w.domain.disks.map((d) => frozenImagePath(d.path, 's2')));
  assert.deepEqual(await composed(w.domain), leaves);
  assert.deepEqual(await Promise.all(w.domain.disks.map((d) => ownComposed(frozenImagePath(d.path, 's2')))), snapContent);
  assert.deepEqual(await paused(w.tap.state), [false, false]);
});
