import { dirname, relative, resolve } from 'node:path';
import { run } from '../util/exec.js';

/** Git provenance of a policy dir: HEAD and, per policy file, the commit that last changed it. */
export interface PolicyRevisions {
  /** `git rev-parse HEAD` of the checkout; null when policyDir is not in a Git checkout. */
  head: string | null;
  /** Absolute file path → commit; a file with uncommitted changes or untracked is absent. */
  files: Map<string, string>;
}

/** Runs git with an argument array; errors are BackendError (see util/exec). */
export type GitRunner = (args: string[]) => Promise<string>;

export const gitRunner: GitRunner = async (args) => (await run('git', args, { timeoutMs: 30_000 })).stdout;

/**
 * Reads the revisions of `files` under `dir`. Not a Git checkout (or no git) → head null and no
 * files, never an error. A file whose content is not the committed one gets no revision: the
 * commit would not describe what is in force.
 */
export async function readPolicyRevisions(dir: string, files: string[], git: GitRunner = gitRunner): Promise<PolicyRevisions> {
  const none: PolicyRevisions = { head: null, files: new Map() };
  let top: string;
  let head: string;
  try {
    top = (await git(['-C', dir, 'rev-parse', '--show-toplevel'])).trim();
    head = (await git(['-C', dir, 'rev-parse', 'HEAD'])).trim();
  } catch {
    return none;
  }
  if (!/^[0-9a-f]{40,64}$/.test(head)) return none;
  const dirty = new Set<string>();
  try {
    // -z: NUL-separated "XY path" entries; rename entries carry a second path we skip
    const out = await git(['-C', top, 'status', '--porcelain', '-z', '--untracked-files=all', '--', resolve(dir)]);
    const parts = out.split('\0');
    for (let i = 0; i < parts.length; i++) {
      const e = parts[i]!;
      if (e.length < 4) continue;
      dirty.add(resolve(top, e.slice(3)));
      if (e[0] === 'R' || e[0] === 'C') i++;
    }
  } catch {
    return { head, files: new Map() };
  }
  const result = new Map<string, string>();
  for (const f of files) {
    const abs = resolve(f);
    if (dirty.has(abs)) continue;
    try {
      const sha = (await git(['-C', dirname(abs), 'log', '-1', '--format=%H', '--', relative(dirname(abs), abs)])).trim();
      if (/^[0-9a-f]{40,64}$/.test(sha)) result.set(abs, sha);
    } catch {
      /* outside the work tree (a symlink target elsewhere): no revision */
    }
  }
  return { head, files: result };
}
