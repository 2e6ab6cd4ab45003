import { stat } from 'node:fs/promises';
import type { Domain } from '../model/domain.js';
import type { GuestAgentFact } from '../model/observed.js';

/**
 * The guest agent the host config names for each domain (config `guestAgents`, by domain name),
 * keyed by domain key, and whether its socket exists now. Domains with none are left out, so
 * the planner can tell "no agent" from "not observed" (the whole map absent).
 */
export async function guestAgentFacts(domains: readonly Domain[], guestAgents: Readonly<Record<string, string>>): Promise<Record<string, GuestAgentFact>> {
  const out: Record<string, GuestAgentFact> = {};
  for (const d of domains) {
    const socket = guestAgents[d.name];
    if (!socket) continue;
    const st = await stat(socket).catch(() => null);
    out[d.key] = { socket, present: st?.isSocket() ?? false };
  }
  return out;
}
