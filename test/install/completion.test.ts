// The bash completion offers exactly the CLI's commands, and for each command options it accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commands } from '../../src/cli/commands/index.js';
import { REPO } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);
const SCRIPT = join(REPO, 'scripts', 'completion', 'xensnap.bash');
const optionsIn = (text: string) => new Set(text.match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? []);

/** What the completion offers after `xensnap WORDS...` (the last word is being completed). */
async function complete(...words: string[]): Promise<string[]> {
  const script = `source ${JSON.stringify(SCRIPT)}; COMP_WORDS=(xensnap ${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length}; _xensnap; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec('bash', ['-c', script]);
  return stdout.split('\n').filter(Boolean).sort();
}

test('the completion lists every command, and per command the options its usage shows (and only options it accepts)', async () => {
  const text = await readFile(SCRIPT, 'utf8');
  const listed = /local commands="([^"]+)"/.exec(text)![1]!.split(' ');
  assert.deepEqual(listed, [...commands.map((c) => c.name), 'help']);
  assert.deepEqual(await complete(''), [...listed, '--config', '--help', '--version'].sort());
  for (const c of commands) {
    if (c.name === 'lab') continue;
    const offered = new Set((await complete(c.name, '-')).filter((o) => o !== '--config' && o !== '--help'));
    for (const o of optionsIn(c.help.split('\n\n')[0]!)) assert.ok(offered.has(o), `${c.name}: the completion lacks ${o}`);
    const accepted = optionsIn(c.help);
    for (const o of offered) assert.ok(accepted.has(o), `${c.name}: the completion offers ${o}, which the command does not take`);
  }
});

test('the completion completes what comes after --config, --type and lab', async () => {
  assert.deepEqual(await complete('--config', '/etc/x', 'pl'), ['plan']);
  assert.deepEqual(await complete('create', 'web-1', '--type', 'int'), ['internal']);
  assert.deepEqual(await complete('lab', ''), ['create', 'destroy']);
  assert.deepEqual(await complete('plan', '--d'), ['--detailed-exitcode', '--diff', '--domain']);
});
