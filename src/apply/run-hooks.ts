import type { Domain } from '../model/domain.js';
import type { HookProfile } from '../model/host-config.js';
import type { ExecAction } from './execute-types.js';
import { run } from '../util/exec.js';
import { BackendError } from '../errors.js';

export type HookPhase = 'pre' | 'post';

/** The environment a hook runs with: the parent's plus what names the snapshot it is about. */
export function hookEnv(a: ExecAction, domain: Domain, phase: HookPhase): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XENSNAP_DOMAIN: domain.name,
    XENSNAP_DOMAIN_UUID: domain.uuid ?? '',
    XENSNAP_SNAPSHOT: a.snapshot,
    XENSNAP_POLICY: a.policy ?? '',
    XENSNAP_PHASE: phase,
    XENSNAP_ACTION: a.action,
  };
}

/**
 * Runs one phase of a hook profile (an argument array, never a shell string) with the profile's
 * timeout. Returns null on success (or when the phase has no command), otherwise a sentence with
 * the command, its exit code (or timeout) and its stderr.
 */
export async function runHookPhase(profileName: string, profile: HookProfile, phase: HookPhase, a: ExecAction, domain: Domain): Promise<string | null> {
  const argv = phase === 'pre' ? profile.pre : profile.post;
  if (!argv.length) return null;
  try {
    await run(argv[0]!, argv.slice(1), { timeoutMs: profile.timeoutMs, env: hookEnv(a, domain, phase) });
    return null;
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    const cmd = JSON.stringify(argv);
    const stderr = (err.stderr ?? '').trim();
    const why = err.message.includes('timed out') ? `timed out after ${profile.timeoutMs} ms` : err.message.includes('not found') ? 'not found' : `exit code ${err.exitCode ?? 'none (killed by a signal)'}`;
    return `${phase}-snapshot hook ${profileName} ${cmd} failed: ${why}${stderr ? `; stderr: ${stderr}` : ''}`;
  }
}
