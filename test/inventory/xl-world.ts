import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { systemXl } from '../../src/inventory/xl-runner.js';
import type { XlRunner } from '../../src/inventory/xl-runner.js';
import { STUBS } from './paths.js';

/** A temp dir with an xl stand-in world; `xl` runs test/stubs/xl through PATH, like the real one. */
export interface XlWorld {
  dir: string;
  statePath: string;
  logPath: string;
  env: NodeJS.ProcessEnv;
  xl: XlRunner;
  /** argv of every xl call so far, in order. */
  calls(): Promise<string[][]>;
  world(): Promise<{ domains: { domid: number; state?: string; config: { c_info: { name: string } } }[] }>;
}

export async function makeXlWorld(t: TestContext, world: unknown): Promise<XlWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-inv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const statePath = join(dir, 'xl-world.json');
  const logPath = join(dir, 'xl-calls.log');
  await writeFile(statePath, JSON.stringify(world, null, 2));
  const env = { ...process.env, PATH: `${STUBS}:${process.env.PATH ?? ''}`, XENSNAP_XL_STATE: statePath, XENSNAP_XL_LOG: logPath };
  return {
    dir,
    statePath,
    logPath,
    env,
    xl: systemXl({ env }),
    calls: async () =>
      (await readFile(logPath, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).argv as string[]),
    world: async () => JSON.parse(await readFile(statePath, 'utf8')),
  };
}
