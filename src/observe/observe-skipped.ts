import type { Domain } from '../model/domain.js';
import type { SkippedDomain } from '../model/skipped-domain.js';
import type { ObservedSnapshot } from '../model/snapshot.js';
import { observe, type RecordSource } from './observe.js';
import type { ImageReader } from './image-reader.js';

/**
 * What can still be read of skipped domains, for `list`: their records, joined with their images
 * read from disk (read-only, never through a live interface: their state is what is unknown).
 * Keyed by the skipped domain's name; a domain with no key has no records to read and is left
 * out. Never planned: the snapshots are for showing.
 */
export async function observeSkipped(skipped: readonly SkippedDomain[], deps: { reader: ImageReader; records: RecordSource }): Promise<Map<string, ObservedSnapshot[]>> {
  const out = new Map<string, ObservedSnapshot[]>();
  for (const s of skipped) {
    if (s.key === null) continue;
    // a stand-in domain for the join only: "shutoff" so that no live reader is ever asked
    const readOnly: Domain = { key: s.key, uuid: s.uuid, name: s.name, state: 'shutoff', disks: s.disks ?? [] };
    const seen = await observe([readOnly], deps);
    out.set(s.name, seen.snapshots);
  }
  return out;
}
