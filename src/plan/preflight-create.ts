import type { Disk, Domain } from '../model/domain.js';
import type { GuestAgentFact, ObservedDomain } from '../model/observed.js';
import type { QuiesceMode, SnapshotMode } from '../model/policy.js';

/** What a create asks for, as far as the pre-flight checks care. */
export interface CreateWish {
  mode: SnapshotMode;
  quiesce: QuiesceMode;
  /** Who asks, for the words: `policy web-hourly`, `create`. */
  who: string;
}

/**
 * What observation already says about a create, before apply tries it. Always: `blockers`
 * empty means nothing observation knows makes apply refuse it; `mode` is the mode apply will
 * take (disk-only for a shut-off domain, whatever was asked); `notes` say, in advance, how the
 * snapshot will be weaker than asked.
 */
export interface CreatePreflight {
  blockers: string[];
  mode: SnapshotMode;
  notes: string[];
}

/**
 * Why a disk's image cannot be snapshotted, from its observed chain: a leaf that could not be
 * read (missing, corrupt, truncated) or a chain that stops before its base. Null when the disk
 * reads fine, or when it was not observed at all (synthetic inputs: nothing is assumed).
 */
function imageProblem(disk: Disk, od: ObservedDomain | undefined): string | null {
  const seen = od?.disks.find((d) => d.vdev === disk.vdev);
  if (!seen || disk.backend === 'phy') return null;
  if (seen.chain.length === 0) return `disk ${disk.vdev}: its image ${disk.path} could not be read (missing or corrupt: see the finding about it)`;
  const last = seen.chain[seen.chain.length - 1]!;
  if (last.backing !== null) return `disk ${disk.vdev}: its backing chain is broken below ${last.path} (${last.backing} could not be read: see the finding about it)`;
  return null;
}

/**
 * Pre-flight checks of one create against what observation knows (pure): every disk's image must
 * read, and `quiesce: required` needs a guest agent whose socket exists when the domain runs
 * (a shut-off domain's disks are at rest: nothing to freeze). A live wish on a shut-off domain
 * becomes disk-only, said in `notes`, as does quiescing without an agent under `quiesce: true`.
 * `agents` undefined (not observed) assumes nothing about agents.
 */
export function preflightCreate(wish: CreateWish, domain: Domain, od: ObservedDomain | undefined, disks: readonly Disk[], agents: Record<string, GuestAgentFact> | undefined): CreatePreflight {
  const out: CreatePreflight = { blockers: [], mode: wish.mode, notes: [] };
  for (const d of disks) {
    const problem = imageProblem(d, od);
    if (problem) out.blockers.push(problem);
  }
  if (wish.mode === 'live' && domain.state === 'shutoff') {
    out.mode = 'disk-only';
    out.notes.push(`domain is shut off: the snapshot will be disk-only, without memory (${wish.who} asks for live)`);
  }
  if (wish.quiesce !== 'off' && domain.state !== 'shutoff' && agents !== undefined) {
    const agent = agents[domain.key];
    const why = !agent ? 'the host config names no guest agent for it (guestAgents)' : !agent.present ? `its guest agent socket ${agent.socket} does not exist` : null;
    if (why && wish.quiesce === 'required') out.blockers.push(`quiesce is required but ${why}`);
    else if (why) out.notes.push(`will not be quiesced: ${why}; the snapshot will be crash-consistent`);
  }
  return out;
}
