import { unlink } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { HypervisorDriver } from './driver.js';

/** A journal step as recovery reads it (structurally the journal's JournalStep). */
export interface LiveJournalStep {
  step: string;
  detail: Record<string, unknown>;
  done: boolean;
}

/** The steps takeLiveSnapshot journals itself; everything else belongs to the disk backend. */
export const LIVE_STEPS = new Set(['live-pause', 'live-save-memory', 'live-disks', 'live-resume']);

/**
 * Finishes the hypervisor half of a live snapshot a crash interrupted: a domain this snapshot
 * paused and never resumed is resumed (unless it is no longer paused, or its operator had paused
 * it before), and a memory image whose save never completed is removed. Returns the remaining
 * (backend) steps, for the backend's own recovery to roll the disk part back, and what was done.
 */
export async function recoverLiveSteps(steps: LiveJournalStep[], domain: Domain, driver: HypervisorDriver): Promise<{ backendSteps: LiveJournalStep[]; messages: string[] }> {
  const messages: string[] = [];
  const find = (name: string) => steps.find((s) => s.step === name);
  const save = find('live-save-memory');
  if (save && !save.done && typeof save.detail.file === 'string') {
    await unlink(save.detail.file).then(
      () => messages.push(`removed the incomplete memory image ${save.detail.file}`),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }
  const pause = find('live-pause');
  const resumed = find('live-resume')?.done ?? false;
  if (pause && !resumed && pause.detail.stateBefore !== 'paused') {
    if ((await driver.status(domain)) === 'paused') {
      await driver.resume(domain);
      messages.push(`domain ${domain.name} was left paused by the interrupted live snapshot; resumed`);
    }
  }
  return { backendSteps: steps.filter((s) => !LIVE_STEPS.has(s.step)), messages };
}
