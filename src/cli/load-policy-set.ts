import type { HostConfig } from '../model/host-config.js';
import type { Policy } from '../model/policy.js';
import { loadPolicies } from '../policy/load-policies.js';
import { UserInputError } from '../errors.js';

/** The policies at `paths` (default: the configured policy dir); any diagnostic is a UserInputError. */
export async function loadPolicySet(config: HostConfig, paths: string[] = []): Promise<Policy[]> {
  const { policies, diagnostics } = await loadPolicies(paths.length ? paths : [config.policyDir], {
    hookProfiles: { names: Object.keys(config.hooks), configFile: config.source?.file ?? 'host config' },
  });
  if (diagnostics.length) throw new UserInputError('invalid policies', diagnostics);
  return policies;
}
