// The revert scenarios the crash matrix and the failure tests share: a world with snapshots made
// through the CLI, guest writes between them, prepared as a cell (template and references).
import assert from 'node:assert/strict';
import { qemuRevertWorld, worldDir, xenRevertWorld, type RevertWorld } from './revert-world.js';
import { prepareCell, type RevertCell } from './revert-matrix.js';

/**
 * - `internal-below`: i1 on both disks, then e1 on xvdb only (i1 below its leaf, in xvda's leaf);
 * - `internal-below-all`: i1, then e1 on both disks (i1 below both leaves);
 * - `internal`: i1 in each leaf (applied in place); `internal-live`: i1 with memory;
 * - `external`: e1, e2 (a newer snapshot in the chain); `external-live`: l1 with memory.
 */
export type QemuScenario = 'internal-below' | 'internal-below-all' | 'internal' | 'internal-live' | 'external' | 'external-live';

async function ok(w: RevertWorld, ...args: string[]): Promise<void> {
  const r = await w.cli(...args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.out}${r.err}`);
}

/** A standalone-QEMU cell, the domain running (revert --stop) or shut off. */
export async function qemuCell(t: { after(fn: () => Promise<void>): void }, scenario: QemuScenario, running: boolean): Promise<RevertCell> {
  const w = await qemuRevertWorld(await worldDir(`xensnap-rv-${scenario}-`));
  t.after(() => w.close());
  const live = scenario.endsWith('-live');
  if (running || live) await w.start();
  await w.write(1);
  let target = 'i1';
  if (scenario === 'external' || scenario === 'external-live') {
    target = live ? 'l1' : 'e1';
    await ok(w, 'create', 'vm-1', '-n', target, ...(live ? ['--live'] : []));
    if (!live) {
      await w.write(2);
      await ok(w, 'create', 'vm-1', '-n', 'e2');
    }
  } else {
    await ok(w, 'create', 'vm-1', '--type', 'internal', '-n', 'i1', ...(live ? ['--live'] : []));
    if (scenario === 'internal-below') await ok(w, 'create', 'vm-1', '-n', 'e1', '--disks', 'xvdb');
    if (scenario === 'internal-below-all') await ok(w, 'create', 'vm-1', '-n', 'e1');
  }
  await w.write(3);
  return prepareCell(`qcow2 ${scenario} ${running || live ? 'running' : 'shut off'}`, w, { target, args: running || live ? ['--stop'] : [], withMemory: live, running: running || live });
}

/** A xen cell (xl and tap-ctl stand-ins): s1 (with memory when live), s2, writes between. */
export async function xenCell(t: { after(fn: () => Promise<void>): void }, mode: 'shut off' | 'running' | 'live'): Promise<RevertCell> {
  const w = await xenRevertWorld(await worldDir('xensnap-rv-x-'));
  t.after(() => w.close());
  if (mode !== 'shut off') await w.start();
  await w.write(1);
  await ok(w, 'create', 'leg-1', '-n', 's1', ...(mode === 'live' ? ['--live'] : []));
  await w.write(2);
  await ok(w, 'create', 'leg-1', '-n', 's2');
  await w.write(3);
  return prepareCell(`VHD external ${mode}`, w, { target: 's1', args: mode === 'shut off' ? [] : ['--stop'], withMemory: mode === 'live', running: mode !== 'shut off' });
}
