import { resolve } from 'node:path';
import type { HostConfig } from '../model/host-config.js';
import type { Policy } from '../model/policy.js';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostic.js';
import { loadPolicies } from '../policy/load-policies.js';
import { readPolicyRevisions, gitRunner, type GitRunner } from './git-revisions.js';

/** One load of the policy dir: valid iff there is no diagnostic. Policies carry their revision. */
export interface PolicyLoad {
  policies: Policy[];
  diagnostics: string[];
  /** HEAD of the checkout holding the policy dir, or null. */
  revision: string | null;
}

export type PolicyLoader = (config: HostConfig) => Promise<PolicyLoad>;

/** Loads the configured policy dir and stamps each policy with its file's Git commit. */
export function policyDirLoader(git: GitRunner = gitRunner): PolicyLoader {
  return async (config) => {
    const { policies, diagnostics, files } = await loadPolicies([config.policyDir], {
      hookProfiles: { names: Object.keys(config.hooks), configFile: config.source?.file ?? 'host config' },
    });
    const revs = await readPolicyRevisions(config.policyDir, files, git);
    return {
      policies: policies.map((p) => ({ ...p, revision: revs.files.get(resolve(p.source.file)) ?? null })),
      diagnostics: diagnostics.map((d: Diagnostic) => formatDiagnostic(d)),
      revision: revs.head,
    };
  };
}

/** The policy set the loop knows: the latest load, and the last valid one, which is in force. */
export interface PolicySetState {
  /** Whether the latest load was valid. False before the first load. */
  valid: boolean;
  /** Diagnostics of the latest load. */
  diagnostics: string[];
  /** Revision and policy count of the latest load. */
  revision: string | null;
  count: number;
  /** The last valid set, or null when there never was one: nothing is applied then. */
  inForce: { policies: Policy[]; revision: string | null; loadedAt: string } | null;
}

/** Keep-last-good: a valid load replaces the set in force; an invalid one only reports. */
export function nextPolicySetState(prev: PolicySetState, load: PolicyLoad, at: string): PolicySetState {
  const valid = load.diagnostics.length === 0;
  return {
    valid,
    diagnostics: load.diagnostics,
    revision: load.revision,
    count: load.policies.length,
    inForce: valid ? { policies: load.policies, revision: load.revision, loadedAt: at } : prev.inForce,
  };
}

export const INITIAL_POLICY_SET: PolicySetState = { valid: false, diagnostics: [], revision: null, count: 0, inForce: null };
