import type { Observed } from '../model/observed.js';
import { skippedFinding, type SkippedDomain } from '../model/skipped-domain.js';
import { loadPendingWork, type PendingOp } from '../apply/pending-work.js';

/**
 * For commands that recover nothing (plan, list): marks each observed domain that has a journal
 * of unfinished work as skipped (`pending-journal`), with a finding naming the journal. apply
 * and run recover such work before they plan the domain, and what recovery does cannot be
 * known in advance, so a plan must not promise anything for it. Reads only.
 */
export async function markPendingJournals(observed: Observed, stateDir: string): Promise<void> {
  const read = () => loadPendingWork(stateDir, { removeEmpty: false }).then((w) => w.pending);
  let ops: PendingOp[];
  try {
    ops = await read();
  } catch {
    // a journal that ended between listing and reading: read again, once
    ops = await read().catch((err: Error) => {
      observed.findings.push({ kind: 'info', domain: null, message: `cannot read the journals in ${stateDir}/.journal: ${err.message}` });
      return [];
    });
  }
  const skipped = (observed.skipped ??= []);
  for (const od of observed.domains) {
    const mine = ops.filter((p) => p.op.domainKey === od.domain.key);
    if (!mine.length || skipped.some((s) => s.key === od.domain.key)) continue;
    const first = mine[0]!;
    const more = mine.length > 1 ? ` and ${mine.length - 1} more` : '';
    const s: SkippedDomain = {
      name: od.domain.name,
      uuid: od.domain.uuid,
      key: od.domain.key,
      cause: 'pending-journal',
      reason: `unfinished ${first.op.action} of snapshot ${first.op.snapshot}${first.startedAt ? ` (started ${first.startedAt})` : ''}${more} is in its journal: apply or run recovers it before planning this domain (or an apply is running now)`,
      journal: first.file,
    };
    skipped.push(s);
    observed.findings.push(skippedFinding(s));
  }
}
