import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.js';
import { commands } from '../src/cli/commands/index.js';

function capture() {
  let out = '';
  return {
    stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    text: () => out,
  };
}

test('--help lists every command of the contract', async () => {
  const o = capture();
  const e = capture();
  const code = await main(['--help'], { stdout: o.stream, stderr: e.stream, env: {} });
  assert.equal(code, 0);
  for (const name of ['validate', 'plan', 'apply', 'run', 'list', 'revert', 'create', 'delete', 'pin', 'unpin', 'recover', 'simulate', 'status', 'lab']) {
    assert.match(o.text(), new RegExp(`^  ${name} +\\S`, 'm'), name);
  }
  assert.equal(commands.filter((c) => !c.hidden).length, 14);
  assert.match(o.text(), /^  --version +print the version$/m);
});

test('help COMMAND prints that command\'s usage', async () => {
  const o = capture();
  const code = await main(['help', 'plan'], { stdout: o.stream, stderr: capture().stream, env: {} });
  assert.equal(code, 0);
  assert.match(o.text(), /^usage: xensnap plan /);
});

test('an unknown command exits 1 with a message', async () => {
  const e = capture();
  const code = await main(['frobnicate'], { stdout: capture().stream, stderr: e.stream, env: {} });
  assert.equal(code, 1);
  assert.equal(e.text(), 'xensnap: unknown command "frobnicate"; see xensnap --help\n');
});

test('--version prints the version of package.json', async () => {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const o = capture();
  const e = capture();
  assert.equal(await main(['--version'], { stdout: o.stream, stderr: e.stream, env: {} }), 0);
  assert.equal(o.text(), `xensnap ${pkg.version}\n`);
  assert.equal(e.text(), '');
});
