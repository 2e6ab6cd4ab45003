import { realpath } from 'node:fs/promises';
import { BackendError } from '../../errors.js';
import type { TapCtl, Tapdisk } from './tap-ctl.js';

async function real(p: string): Promise<string> {
  return realpath(p).catch(() => p);
}

/** Finds the tapdisk serving each leaf path (exact path, else same real path). */
export async function findTapdisks(tapCtl: TapCtl, leaves: string[]): Promise<Tapdisk[]> {
  const all = (await tapCtl.list()).filter((t) => t.path !== null);
  const reals = await Promise.all(all.map((t) => real(t.path!)));
  const out: Tapdisk[] = [];
  for (const leaf of leaves) {
    let i = all.findIndex((t) => t.path === leaf);
    if (i < 0) {
      const r = await real(leaf);
      i = reals.indexOf(r);
    }
    if (i < 0) throw new BackendError(`no tapdisk serves ${leaf} (not in tap-ctl list)`, { command: ['tap-ctl', 'list'] });
    out.push(all[i]!);
  }
  return out;
}

/**
 * Runs `fn` with every leaf's tapdisk paused: all are paused before `fn` starts (so a multi-disk
 * change is atomic for the guest), and every tapdisk that was paused is unpaused afterwards on
 * every path — success, failure of `fn`, failure of a later pause. `fn`'s error wins; unpause
 * failures are appended to it, or thrown (after trying all) when `fn` succeeded.
 */
export async function withTapdisksPaused<T>(tapCtl: TapCtl, leaves: string[], fn: () => Promise<T>): Promise<T> {
  const disks = await findTapdisks(tapCtl, leaves);
  const paused: { t: Tapdisk; leaf: string }[] = [];
  let result: T | undefined;
  let failure: unknown = null;
  try {
    for (const [i, t] of disks.entries()) {
      await tapCtl.pause(t.pid, t.minor);
      paused.push({ t, leaf: leaves[i]! });
    }
    result = await fn();
  } catch (e) {
    failure = e;
  }
  const unpauseErrors: string[] = [];
  for (const { t, leaf } of paused) {
    try {
      await tapCtl.unpause(t.pid, t.minor, leaf);
    } catch (e) {
      unpauseErrors.push(`unpause of tapdisk pid ${t.pid} minor ${t.minor} failed: ${(e as Error).message}`);
    }
  }
  if (failure) {
    if (unpauseErrors.length && failure instanceof Error) failure.message += `; ${unpauseErrors.join('; ')}`;
    throw failure;
  }
  if (unpauseErrors.length) throw new BackendError(unpauseErrors.join('; '));
  return result as T;
}
