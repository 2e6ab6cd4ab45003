import type { Observed } from '../model/observed.js';
import { skippedFinding, type SkippedDomain } from '../model/skipped-domain.js';
import { loadPendingWork, type PendingOp } from '../apply/pending-work.js';
import type { UnresolvedWork } from '../apply/unresolved-work.js';

/**
 * For commands that recover nothing (plan, list): marks each observed domain that has a journal
 * of unfinished work as skipped (`pending-journal`), with a finding naming the journal. apply
 * and run recover such work before they plan the domain, and what recovery does cannot be
 * known in advance, so a plan must not promise anything for it. Reads only.
 */
export async function markPendingJournals(observed: Observed, stateDir: string): Promise<void> {
  const read = async () => {
    const w = await loadPendingWork(stateDir, { removeEmpty: false });
    broken = w.broken;
    return w.pending;
  };
  let broken: UnresolvedWork[] = [];
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
  // journals this xensnap cannot use block what they name (apply refuses those domains too)
  for (const b of broken) {
    const od = b.domainKey ? observed.domains.find((d) => d.domain.key === b.domainKey) : undefined;
    if (!od) {
      observed.findings.push({ kind: 'skipped', domain: null, message: `journal ${b.journal} (${b.operation}) cannot be used: ${b.reason}; apply refuses every domain until it is resolved (xensnap recover)` });
      continue;
    }
    if (skipped.some((x) => x.key === od.domain.key)) continue;
    const s: SkippedDomain = { name: od.domain.name, uuid: od.domain.uuid, key: od.domain.key, cause: 'unresolved-journal', reason: `its journal of unfinished work (${b.operation}) cannot be used: ${b.reason}; see xensnap recover`, journal: b.journal };
    skipped.push(s);
    observed.findings.push(skippedFinding(s));
  }
}
