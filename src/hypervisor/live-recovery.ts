import { unlink } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { HypervisorDriver } from './driver.js';
import type { LiveStep } from './live-steps.js';

/** A live step as recovery reads it back, done or in flight. */
export type LiveJournalStep = LiveStep & { done: boolean };

/**
 * Finishes the hypervisor half of a live snapshot a crash interrupted: a domain this snapshot
 * paused and never resumed is resumed (unless it is no longer paused, or its operator had paused
 * it before), and a memory image whose save never completed is removed. Returns what was done;
 * the disk backend's own recovery rolls the disk part back.
 */
export async function recoverLiveSteps(steps: LiveJournalStep[], domain: Domain, driver: HypervisorDriver): Promise<string[]> {
  const messages: string[] = [];
  const find = <N extends LiveStep['step']>(name: N) => steps.find((s): s is Extract<LiveStep, { step: N }> & { done: boolean } => s.step === name);
  const save = find('live.save-memory');
  if (save && !save.done) {
    await unlink(save.detail.file).then(
      () => messages.push(`removed the incomplete memory image ${save.detail.file}`),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }
  const pause = find('live.pause');
  const resumed = find('live.resume')?.done ?? false;
  if (pause && !resumed && pause.detail.stateBefore !== 'paused') {
    if ((await driver.status(domain)) === 'paused') {
      await driver.resume(domain);
      messages.push(`domain ${domain.name} was left paused by the interrupted live snapshot; resumed`);
    }
  }
  return messages;
}
