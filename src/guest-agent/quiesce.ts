import { BackendError } from '../errors.js';
import type { QuiesceMode } from '../model/policy.js';
import { GuestAgentClient } from './guest-agent-client.js';

/** A snapshot that `quiesce: required` forbids taking: the caller records it as a skip. */
export class QuiesceRequiredError extends BackendError {
  readonly skip = true;
}

export interface QuiesceOptions {
  mode: QuiesceMode;
  /** The domain's guest-agent socket, or null when the host config names none. */
  socket: string | null;
  domainName: string;
  /** Per agent command; default 10 s (freeze may take long on a busy guest: fsync of every fs). */
  timeoutMs?: number;
  /** Set to whether the file systems were frozen while `fn` ran (for the snapshot's record). */
  outcome?: { frozen: boolean };
}

/**
 * Runs `fn` with the guest's file systems frozen through its agent, and thaws on every path
 * (success, failure, or a freeze that failed half-way: the agent may have frozen some file
 * systems before timing out). `notes` receives what an operator should read: an unreachable agent
 * under `preferred` (the snapshot is then crash-consistent), a thaw that needed a retry. Under
 * `required` an unreachable agent or failed freeze throws QuiesceRequiredError before `fn` runs;
 * a thaw that never succeeds throws after `fn`, loudly, since the guest is then stuck frozen.
 */
export async function withQuiesce<T>(opts: QuiesceOptions, notes: string[], fn: () => Promise<T>): Promise<T> {
  if (opts.mode === 'off') return fn();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const who = `domain ${opts.domainName}`;
  const cannot = (why: string): null => {
    if (opts.mode === 'required') throw new QuiesceRequiredError(`${who}: quiesce is required but ${why}; snapshot skipped`);
    notes.push(`${who}: could not quiesce (${why}); the snapshot is crash-consistent`);
    return null;
  };
  let frozen: boolean | null = null;
  if (!opts.socket) frozen = cannot('the host config names no guest agent for it');
  else {
    let client: GuestAgentClient | null = null;
    try {
      client = await GuestAgentClient.connect(opts.socket, timeoutMs);
      await client.execute<number>('guest-fsfreeze-freeze', undefined, timeoutMs);
      frozen = true;
    } catch (err) {
      client?.close();
      client = null;
      await thaw(opts.socket, timeoutMs).catch(() => {}); // a half-done freeze must not stay
      frozen = cannot(`the guest agent at ${opts.socket} did not freeze: ${(err as Error).message}`);
    } finally {
      client?.close();
    }
  }
  if (!frozen) return fn();
  if (opts.outcome) opts.outcome.frozen = true;
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await thawLoudly(opts.socket!, timeoutMs, who, notes).catch((e: Error) => notes.push(e.message));
    throw err;
  }
  await thawLoudly(opts.socket!, timeoutMs, who, notes);
  return result;
}

async function thaw(socket: string, timeoutMs: number): Promise<void> {
  const client = await GuestAgentClient.connect(socket, timeoutMs);
  try {
    await client.execute('guest-fsfreeze-thaw', undefined, timeoutMs);
  } finally {
    client.close();
  }
}

/** Thaw, retried once on a new session; a guest still frozen after that is an error. */
async function thawLoudly(socket: string, timeoutMs: number, who: string, notes: string[]): Promise<void> {
  try {
    await thaw(socket, timeoutMs);
    return;
  } catch (first) {
    notes.push(`${who}: first thaw failed (${(first as Error).message}); retrying`);
  }
  try {
    await thaw(socket, timeoutMs);
  } catch (err) {
    throw new BackendError(`${who}: THE GUEST'S FILE SYSTEMS MAY STILL BE FROZEN: thaw failed twice through ${socket}: ${(err as Error).message}; run guest-fsfreeze-thaw by hand`);
  }
}
