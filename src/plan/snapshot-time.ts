import type { ObservedSnapshot } from '../model/snapshot.js';

// Slot strings repeat on every domain of a fleet: parse each once.
const parsed = new Map<string, number>();

function parseIso(s: string): number {
  let v = parsed.get(s);
  if (v === undefined) {
    v = Date.parse(s);
    if (parsed.size > 1_000_000) parsed.clear();
    parsed.set(s, v);
  }
  return v;
}

/** The slot a managed snapshot fills, in ms, or null (manual, foreign, or unparsable). */
export function slotMsOf(s: ObservedSnapshot): number | null {
  const slot = s.record?.slot;
  if (!slot) return null;
  const v = parseIso(slot);
  return Number.isNaN(v) ? null : v;
}

/** The time retention orders by: the slot, else the creation time (NaN-safe: 0). */
export function timeMsOf(s: ObservedSnapshot): number {
  const slot = slotMsOf(s);
  if (slot !== null) return slot;
  const c = parseIso(s.createdAt);
  return Number.isNaN(c) ? 0 : c;
}
