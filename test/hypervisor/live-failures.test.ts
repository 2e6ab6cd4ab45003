import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QdiskBackend } from '../../src/backends/qdisk/qdisk-backend.js';
import { QemuDriver } from '../../src/hypervisor/qemu/qemu-driver.js';
import { takeLiveSnapshot } from '../../src/hypervisor/live-snapshot.js';
import type { HypervisorDriver } from '../../src/hypervisor/driver.js';
import type { SnapshotBackend, StepJournal } from '../../src/backends/backend.js';
import type { Domain } from '../../src/model/domain.js';
import * as img from '../../src/backends/qdisk/qemu-img.js';
import { RecordingJournal } from '../util/image-refs.js';
import { createImages, makeRaw, refWrite, sameBytes, startLiveDomain, type LiveDomain } from './live-vm.js';

const MiB = 1024 * 1024;

/** The real qemu driver, with a fault at one method: before calling it (or, for saveMemory, after writing a partial file). */
function faultyDriver(real: QemuDriver, at: 'pause' | 'save' | 'resume' | 'resume-always'): HypervisorDriver {
  let resumes = 0;
  const d: HypervisorDriver = Object.create(real) as HypervisorDriver;
  return Object.assign(d, {
    pause: async (dom: Domain) => {
      if (at === 'pause') throw new Error('injected: pause failed');
      return real.pause(dom);
    },
    saveMemory: async (dom: Domain, file: string) => {
      if (at === 'save') {
        await writeFile(file, 'partial memory image');
        throw new Error('injected: save failed');
      }
      return real.saveMemory(dom, file);
    },
    resume: async (dom: Domain) => {
      if (at === 'resume-always' || (at === 'resume' && resumes++ === 0)) throw new Error('injected: resume failed');
      return real.resume(dom);
    },
  });
}

/** The real backend, whose transaction step fails (the backend undoes its own work). */
function faultyBackend(real: SnapshotBackend): SnapshotBackend {
  return {
    name: real.name,
    refusal: (disk, type) => real.refusal(disk, type),
    delete: (req, journal, progress) => real.delete(req, journal, progress),
    create: (req, journal, progress) => {
      const j: StepJournal = {
        intent: async (step, detail) => {
          if (step === 'qdisk-online.transaction') throw new Error('injected: disk transaction failed');
          return journal.intent(step, detail);
        },
        done: (step) => journal.done(step),
      };
      return real.create(req, j, progress);
    },
  };
}

async function setup(t: TestContext): Promise<{ dir: string; vm: LiveDomain; real: QemuDriver; backend: QdiskBackend; refs: string[]; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-lf-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = await createImages(dir, 2, 8 * MiB);
  const vm = await startLiveDomain(t, dir, paths);
  const refs = [join(dir, 'r0.raw'), join(dir, 'r1.raw')];
  for (const [i, r] of refs.entries()) {
    await makeRaw(r, 8 * MiB);
    await vm.write(i, 0x40 + i, 0, 65536);
    await refWrite(r, 0x40 + i, 0, 65536);
  }
  const real = new QemuDriver({ launcher: vm.launcher });
  const backend = new QdiskBackend({ connect: (d) => real.qmp(d) });
  return { dir, vm, real, backend, refs, files: (await readdir(dir)).sort() };
}

async function assertNothingLeft(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  assert.equal(await s.vm.status(), 'running');
  assert.deepEqual((await readdir(s.dir)).filter((n) => n !== 'state').sort(), s.files, 'no new image files');
  assert.deepEqual(await readdir(join(s.dir, 'state', s.vm.domain.key)).catch(() => []), [], 'no memory file');
  await s.vm.flush();
  for (const [i, p] of s.vm.domain.disks.entries()) {
    assert.ok(await sameBytes(p.path, 'qcow2', s.refs[i]!), `disk ${i} content unchanged`);
    const info = await img.info(p.path, { shareRw: true });
    assert.equal(info.backingPath, null, `disk ${i} has no overlay`);
    assert.deepEqual(info.snapshots, [], `disk ${i} has no new tag`);
  }
}

for (const type of ['external', 'internal'] as const) {
  for (const at of ['pause', 'save', 'disks'] as const) {
    if (type === 'internal' && at === 'save') continue; // snapshot-save writes memory and disks in one job: covered by 'disks'
    test(`${type} live snapshot with a failure at ${at}: domain running, nothing left behind`, async (t) => {
      const s = await setup(t);
      const driver = at === 'disks' ? s.real : faultyDriver(s.real, at);
      const backend = at === 'disks' ? faultyBackend(s.backend) : s.backend;
      const journal = new RecordingJournal();
      // internal + disks: make snapshot-save itself fail (a tag that exists on one disk only is refused before the job).
      if (type === 'internal' && at === 'disks') {
        const c = await s.vm.aux();
        await c.execute('blockdev-snapshot-internal-sync', { device: 'xvdb-qcow2', name: 'x1' });
        c.close();
      }
      await assert.rejects(
        takeLiveSnapshot({
          domain: s.vm.domain, disks: s.vm.domain.disks, snapshot: 'x1', type, backend, driver, journal,
          stateDir: join(s.dir, 'state'), quiesce: 'off', guestAgentSocket: null,
        }),
        at === 'pause' ? /injected: pause failed/ : at === 'save' ? /injected: save failed/ : type === 'external' ? /injected: disk transaction failed/ : /already exists/,
      );
      if (type === 'internal' && at === 'disks') {
        const c = await s.vm.aux();
        await c.execute('blockdev-snapshot-delete-internal-sync', { device: 'xvdb-qcow2', name: 'x1' });
        c.close();
      }
      await assertNothingLeft(s);
      assert.deepEqual(journal.lines.slice(-2), ['intent:live.resume', 'done:live.resume'], 'resumed on the failure path');
    });
  }
}

test('a resume that fails once is retried: the snapshot stands, the domain runs, a finding says so', async (t) => {
  const s = await setup(t);
  const r = await takeLiveSnapshot({
    domain: s.vm.domain, disks: s.vm.domain.disks, snapshot: 'ok1', type: 'external', backend: s.backend, driver: faultyDriver(s.real, 'resume'),
    journal: new RecordingJournal(), stateDir: join(s.dir, 'state'), quiesce: 'off', guestAgentSocket: null,
  });
  assert.equal(await s.vm.status(), 'running');
  assert.deepEqual(r.findings.map((f) => f.message), ['domain web-1: resume failed 1 time(s) before it worked (injected: resume failed)']);
});

test('a resume that never works is reported loudly with needsRecovery', async (t) => {
  const s = await setup(t);
  const err = await takeLiveSnapshot({
    domain: s.vm.domain, disks: s.vm.domain.disks, snapshot: 'p1', type: 'external', backend: s.backend, driver: faultyDriver(s.real, 'resume-always'),
    journal: new RecordingJournal(), stateDir: join(s.dir, 'state'), quiesce: 'off', guestAgentSocket: null, resumeRetries: 1,
  }).then(() => null, (e: Error & { needsRecovery?: boolean }) => e);
  assert.equal(err?.message, 'DOMAIN web-1 IS LEFT PAUSED: the snapshot was taken, but resuming it failed 2 times: injected: resume failed');
  assert.equal(err?.needsRecovery, true);
  assert.equal(await s.vm.status(), 'postmigrate');
  await s.real.resume(s.vm.domain);
  assert.equal(await s.vm.status(), 'running');
});
