import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rename, rm, writeFile, access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, destroyLab } from '../../src/lab/create-lab.js';
import { parsePromText, seriesLines } from '../metrics/prom-text.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const DB1 = '7d2e4a10-1c3b-4f5e-8a9b-0c1d2e3f4a5b';

const policy = (name: string, extra = '') => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata: { name: ${name} }
spec:
  selector: { names: ["db-*"] }
  schedule: "0 0 1 1 *"
  mode: disk-only
  type: internal
  retention: { keepLast: 2 }
${extra}`;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

type Line = { msg: string; level: string; [k: string]: unknown };

/** The daemon's stderr as parsed JSON lines, with a wait for the next line matching. */
function follow(child: ChildProcess) {
  const lines: Line[] = [];
  let buf = '';
  child.stderr!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line); // not a TTY: every line must be JSON
      buf = buf.slice(i + 1);
    }
  });
  return {
    lines,
    async waitFor(pred: (l: Line) => boolean, from: number, what: string, ms = 40_000): Promise<number> {
      const end = Date.now() + ms;
      for (;;) {
        const idx = lines.findIndex((l, k) => k >= from && pred(l));
        if (idx >= 0) return idx;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

test('a real daemon on the lab: file change → snapshot, invalid edit keeps the set, SIGHUP, lock, SIGTERM', { timeout: 150_000 }, async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'xensnap-run-lab-'));
  const lab = await createLab(join(base, 'lab'));
  // after-hooks run in the order they were added: the lab (its web-3 QEMU) goes before the dir holding it
  t.after(async () => {
    await destroyLab(lab.dir);
    await rm(base, { recursive: true, force: true });
  });
  const policyDir = join(lab.dir, 'policies');
  const stateDir = join(lab.dir, 'state');
  for (const f of ['web.yaml', 'db.yaml', 'apps.yaml']) await rm(join(policyDir, f));
  await writeFile(join(policyDir, 'db-a.yaml'), policy('db-a'));
  git(policyDir, 'init', '-q');
  git(policyDir, 'add', '.');
  git(policyDir, 'commit', '-q', '-m', 'db-a');
  const commit = git(policyDir, 'rev-parse', 'HEAD');
  const port = await freePort();
  await appendFile(lab.qemuConfig, `listen: 127.0.0.1:${port}\n`);

  const child = spawn(process.execPath, [MAIN, '--config', lab.qemuConfig, 'run'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const log = follow(child);
  const finished = (l: Line) => l.msg === 'reconcile finished';

  // startup: the committed policy is due (its 1 January slot) → an internal snapshot of db-1
  let at = await log.waitFor(finished, 0, 'the startup run');
  assert.equal(log.lines[at]!.result, 'ok', JSON.stringify(log.lines));
  const recA = JSON.parse(await readFile(join(stateDir, DB1, 'snapshotdata-db-a-20260101T000000Z.json'), 'utf8'));
  assert.equal(recA.policy, 'db-a');
  assert.equal(recA.policyRevision, commit);
  assert.match(execFileSync('qemu-img', ['snapshot', '-l', join(lab.dir, 'images', 'db-1-xvda.qcow2')], { encoding: 'utf8' }), /db-a-20260101T000000Z/);

  // a policy file written into policyDir (temp name, then rename) triggers a run that creates its snapshot
  await writeFile(join(policyDir, '.db-b.yaml.tmp'), policy('db-b'));
  await rename(join(policyDir, '.db-b.yaml.tmp'), join(policyDir, 'db-b.yaml'));
  const started = await log.waitFor((l) => l.msg === 'reconcile started' && (l.triggers as string[]).includes('policy-change'), at + 1, 'a policy-change run');
  at = await log.waitFor(finished, started, 'the policy-change run');
  assert.equal(log.lines[at]!.result, 'ok');
  const recB = JSON.parse(await readFile(join(stateDir, DB1, 'snapshotdata-db-b-20260101T000000Z.json'), 'utf8'));
  assert.equal(recB.policyRevision, null, 'an uncommitted file has no revision');

  const metrics = async () => parsePromText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  let m = await metrics();
  assert.deepEqual(seriesLines(m.get('xensnap_policy_set_valid')), ['xensnap_policy_set_valid{} 1']);
  assert.deepEqual(seriesLines(m.get('xensnap_managed_snapshots')), [
    'xensnap_managed_snapshots{policy="db-a",domain="db-1"} 1',
    'xensnap_managed_snapshots{policy="db-b",domain="db-1"} 1',
  ]);
  assert.deepEqual(seriesLines(m.get('xensnap_policy_compliant')), [
    'xensnap_policy_compliant{policy="db-a",domain="db-1"} 1',
    'xensnap_policy_compliant{policy="db-b",domain="db-1"} 1',
  ]);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

  // an invalid edit: reported, validity flips, the last valid set (both policies) stays in force
  await writeFile(join(policyDir, 'db-b.yaml'), policy('db-b', '  retension: { keepLast: 1 }\n'));
  at = await log.waitFor((l) => l.msg.startsWith('policy set is invalid'), at + 1, 'the invalid set report');
  at = await log.waitFor(finished, at, 'the run after the invalid edit');
  m = await metrics();
  assert.deepEqual(seriesLines(m.get('xensnap_policy_set_valid')), ['xensnap_policy_set_valid{} 0']);
  assert.deepEqual(seriesLines(m.get('xensnap_policies_in_force')), ['xensnap_policies_in_force{} 2']);
  // the status file is written asynchronously after the run's log line
  let status = JSON.parse(await readFile(join(stateDir, '.status.json'), 'utf8'));
  for (const end = Date.now() + 30_000; status.state !== 'idle' && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 20));
    status = JSON.parse(await readFile(join(stateDir, '.status.json'), 'utf8'));
  }
  assert.equal(status.policySet.valid, false);
  assert.equal(status.policySet.inForce.count, 2);
  assert.match(status.policySet.diagnostics[0], /db-b\.yaml:\d+:\d+: .*retension/);
  assert.ok(await exists(join(stateDir, DB1, 'snapshotdata-db-b-20260101T000000Z.json')));

  // SIGHUP reloads config and policies: fixed file → valid again
  await writeFile(join(lab.dir, 'fixed.yaml'), policy('db-b'));
  await rename(join(lab.dir, 'fixed.yaml'), join(policyDir, 'db-b.yaml'));
  // the file-change run picks the fixed file up (valid again) and finishes before the SIGHUP
  at = await log.waitFor((l) => l.msg === 'policy set loaded', at + 1, 'the fixed set loaded by a file-change run');
  at = await log.waitFor(finished, at, 'the file-change run after the fix');
  const before = log.lines.length;
  child.kill('SIGHUP');
  const hup = await log.waitFor((l) => l.msg === 'SIGHUP: reloading config and policies', before, 'the SIGHUP log line');
  at = await log.waitFor((l) => l.msg === 'reconcile started' && (l.triggers as string[]).includes('reload'), hup, 'the reload run');
  at = await log.waitFor(finished, at, 'the reload run end');
  assert.deepEqual(seriesLines((await metrics()).get('xensnap_policy_set_valid')), ['xensnap_policy_set_valid{} 1']);

  // a second run is refused while the daemon holds the lock; status answers from the status file
  const second = spawn(process.execPath, [MAIN, '--config', lab.qemuConfig, 'run', '--once'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let secondErr = '';
  second.stderr!.on('data', (d) => (secondErr += d));
  assert.equal(await new Promise((r) => second.on('exit', r)), 1);
  assert.equal(secondErr, `another xensnap (pid ${child.pid}) holds the lock ${join(stateDir, '.daemon.lock')}\n`);
  // the daemon holds the operation lock only while it reconciles: a one-off create goes through
  const oneOff = spawnSync(process.execPath, [MAIN, '--config', lab.qemuConfig, 'create', 'web-3', '-n', 'beside-daemon'], { encoding: 'utf8' });
  assert.equal(oneOff.status, 0, oneOff.stderr);
  assert.equal(oneOff.stdout, 'created snapshot beside-daemon of web-3 (disk-only, external, disks xvda, xvdb)\n');
  const js = JSON.parse(execFileSync(process.execPath, [MAIN, '--config', lab.qemuConfig, 'status', '--json'], { encoding: 'utf8' }));
  assert.equal(js.running, true);
  assert.equal(js.pid, child.pid);
  assert.equal(js.policySet.revision, commit);

  // SIGTERM: exit 0, lock released, status says stopped
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(await exists(join(stateDir, '.lock')), false);
  const last = JSON.parse(await readFile(join(stateDir, '.status.json'), 'utf8'));
  assert.equal(last.state, 'stopped');
  assert.ok(log.lines.some((l) => l.msg === 'xensnap run stopped' && l.forced === false));
  if (process.env.XS_DEBUG) console.log(log.lines.map((l) => `${l.time} ${l.msg} ${l.result ?? ""}`).join("\n"));
});
