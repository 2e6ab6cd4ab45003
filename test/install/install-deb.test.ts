// Issue 17, item 11: `make install` and `make deb` from this checkout, and the package extracted
// into a temp root and run from there (xensnap --version, validate). Nothing is installed into
// the machine itself: the package's own files run, with the node and qemu-utils its Depends name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);
const VERSION = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

async function make(...args: string[]) {
  // MAKEFLAGS of an outer `make test` would carry its jobserver: this is a make of its own
  const env = { ...process.env, MAKEFLAGS: '', MAKELEVEL: '' };
  return exec('make', ['--no-print-directory', '-C', REPO, ...args], { env, timeout: 300_000, maxBuffer: 16 << 20 });
}

async function files(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(root, rel)));
    else out.push(rel);
  }
  return out;
}

/** A host config and one policy under `dir`, for `validate`. */
async function validateInput(dir: string): Promise<string> {
  await mkdir(join(dir, 'policies'), { recursive: true });
  await writeFile(join(dir, 'policies', 'web.yaml'), `apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata:\n  name: web\nspec:\n  selector:\n    names: ["web-*"]\n  schedule: "0 * * * *"\n  retention:\n    keepLast: 3\n`);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${join(dir, 'state')}\npolicyDir: ${join(dir, 'policies')}\nhypervisor: xen\n`);
  return config;
}

test('make install PREFIX=/usr/local: an executable command, units with the installed path, example config, completion, no dev packages', async (t) => {
  const dest = await mkdtemp(join(tmpdir(), 'xensnap-install-'));
  t.after(() => rm(dest, { recursive: true, force: true }));
  await make('install', `DESTDIR=${dest}`, 'PREFIX=/usr/local');
  const bin = join(dest, 'usr/local/bin/xensnap');
  assert.ok((await lstat(bin)).isSymbolicLink());
  assert.equal(await readlink(bin), '../lib/xensnap/dist/src/cli/main.js');
  const main = join(dest, 'usr/local/lib/xensnap/dist/src/cli/main.js');
  assert.equal((await stat(main)).mode & 0o777, 0o755);
  assert.match(await readFile(main, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const service = await readFile(join(dest, 'usr/local/lib/systemd/system/xensnap.service'), 'utf8');
  assert.match(service, /^ExecStart=\/usr\/local\/bin\/xensnap run$/m);
  assert.match(await readFile(join(dest, 'usr/local/lib/systemd/system/xensnap-once.service'), 'utf8'), /^ExecStart=\/usr\/local\/bin\/xensnap run --once$/m);
  assert.ok(await stat(join(dest, 'usr/local/lib/systemd/system/xensnap.timer')));
  assert.match(await readFile(join(dest, 'etc/xensnap/config.yaml.example'), 'utf8'), /^policyDir: \/etc\/xensnap\/policies$/m);
  assert.ok((await stat(join(dest, 'etc/xensnap/policies'))).isDirectory());
  assert.match(await readFile(join(dest, 'usr/local/share/bash-completion/completions/xensnap'), 'utf8'), /^complete -F _xensnap xensnap$/m);
  for (const f of ['prometheus/xensnap-rules.yml', 'prometheus/xensnap-rules.test.yml', 'grafana/xensnap-dashboard.json']) assert.ok(await stat(join(dest, 'usr/local/share/doc/xensnap/examples', f)), f);
  const lib = join(dest, 'usr/local/lib/xensnap');
  const modules = await readdir(join(lib, 'node_modules'));
  for (const dep of ['yaml', 'ajv', 'chokidar', 'cron-parser', 'diff', 'prom-client']) assert.ok(modules.includes(dep), dep);
  assert.ok(!modules.includes('typescript') && !modules.includes('@types'), 'dev packages installed');
  assert.ok(!(await files(join(lib, 'dist'))).some((f) => f.startsWith('test/') || f.startsWith('bench/')), 'tests installed');
  // the installed command runs, through its symlink, and finds its schemas
  const v = await exec(bin, ['--version']);
  assert.equal(v.stdout, `xensnap ${VERSION}\n`);
  const config = await validateInput(join(dest, 'work'));
  assert.deepEqual((await exec(bin, ['--config', config, 'validate'])).stdout, '1 policy valid\n');
});

test('make deb: a Debian package (depends nodejs >= 18 and qemu-utils, units installed not enabled) that runs from its extracted files', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'xensnap-deb-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  await make('deb', `DEB_OUT=${out}`);
  const deb = join(out, `xensnap_${VERSION}_all.deb`);
  const field = async (f: string) => (await exec('dpkg-deb', ['-f', deb, f])).stdout.trim();
  assert.deepEqual(
    [await field('Package'), await field('Version'), await field('Architecture'), await field('Depends')],
    ['xensnap', VERSION, 'all', 'nodejs (>= 18), qemu-utils'],
  );
  assert.ok(Number(await field('Installed-Size')) > 1000);
  // the dependencies are satisfied on this machine, as dpkg -i would check
  for (const [pkg, min] of [['nodejs', '18'], ['qemu-utils', '0']] as const) {
    const have = (await exec('dpkg-query', ['-W', '-f', '${Version}', pkg])).stdout;
    await exec('dpkg', ['--compare-versions', have, 'ge', min]);
  }
  const root = join(out, 'root');
  await exec('dpkg-deb', ['-x', deb, root]);
  const ctl = join(out, 'control');
  await exec('dpkg-deb', ['-e', deb, ctl]);
  assert.deepEqual((await readdir(ctl)).sort(), ['conffiles', 'control', 'postinst', 'postrm', 'prerm']);
  assert.equal(await readFile(join(ctl, 'conffiles'), 'utf8'), '/etc/xensnap/config.yaml.example\n');
  // installed, never enabled: no maintainer script enables or starts a unit, no .wants links
  for (const s of ['postinst', 'prerm', 'postrm']) assert.doesNotMatch(await readFile(join(ctl, s), 'utf8'), /systemctl (enable|start|restart)|deb-systemd-helper/);
  const all = await files(root);
  assert.deepEqual(all.filter((f) => f.includes('systemd')).sort(), ['lib/systemd/system/xensnap-once.service', 'lib/systemd/system/xensnap.service', 'lib/systemd/system/xensnap.timer']);
  assert.match(await readFile(join(root, 'lib/systemd/system/xensnap.service'), 'utf8'), /^ExecStart=\/usr\/bin\/xensnap run$/m);
  assert.ok(all.includes('usr/share/bash-completion/completions/xensnap'));
  assert.ok(all.includes('etc/xensnap/config.yaml.example'));
  const listing = (await exec('dpkg-deb', ['-c', deb])).stdout;
  assert.match(listing, /^lrwxrwxrwx root\/root +0 \S+ \S+ \.\/usr\/bin\/xensnap -> \.\.\/lib\/xensnap\/dist\/src\/cli\/main\.js$/m);
  assert.match(listing, /^-rwxr-xr-x root\/root +\d+ \S+ \S+ \.\/usr\/lib\/xensnap\/dist\/src\/cli\/main\.js$/m);
  // run the package's own command
  const bin = join(root, 'usr/bin/xensnap');
  assert.equal((await exec(bin, ['--version'])).stdout, `xensnap ${VERSION}\n`);
  const config = await validateInput(join(out, 'work'));
  assert.equal((await exec(bin, ['--config', config, 'validate'])).stdout, '1 policy valid\n');
  const bad = await exec(bin, ['--config', join(out, 'nope.yaml'), 'validate']).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.deepEqual([bad?.code, bad?.stderr], [
    1,
    `${join(out, 'nope.yaml')}:1:1: cannot read: no such file or directory\nxensnap validate: no policy checked: the host config ${join(out, 'nope.yaml')} is invalid, so its policyDir is unknown; fix it, or name policy paths\n`,
  ]);
});
