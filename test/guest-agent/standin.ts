import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const STANDIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/stubs/qga-standin.mjs');

/** A running guest-agent stand-in: its socket and the commands it received so far. */
export interface Agent {
  socket: string;
  commands(): Promise<string[]>;
}

export async function startAgent(t: TestContext, behaviour: object = {}): Promise<Agent> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-qga-'));
  const socket = join(dir, 'qga.sock');
  const log = join(dir, 'qga.log');
  const child = spawn(process.execPath, [STANDIN, socket, log, JSON.stringify(behaviour)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  await new Promise<void>((res, rej) => {
    child.stdout!.once('data', () => res());
    child.once('exit', (c) => rej(new Error(`qga stand-in exited ${c}`)));
  });
  return {
    socket,
    commands: async () =>
      (await readFile(log, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { execute: string }).execute),
  };
}
