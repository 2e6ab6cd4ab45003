import type { Domain } from '../model/domain.js';
import type { Finding } from '../model/observed.js';
import type { SkippedDomain } from '../model/skipped-domain.js';

/**
 * What an inventory found. Always: every domain in `skipped` is absent from `domains` and has a
 * `skipped` finding saying why; names in `domains` are unique.
 */
export interface InventoryResult {
  domains: Domain[];
  findings: Finding[];
  skipped: SkippedDomain[];
}
