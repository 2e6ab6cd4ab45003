import { basename, dirname, join, resolve } from 'node:path';
import type { Command, CommandContext } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { loadConfigFor } from '../host-context.js';
import { confirmOnTerminal } from '../confirm.js';
import { UserInputError } from '../../errors.js';
import type { HostConfig } from '../../model/host-config.js';
import { acquireInstanceLock } from '../../apply/instance-lock.js';
import { hostBackends } from '../../apply/host-backends.js';
import { recordStore } from '../../apply/reconcile-once.js';
import { recoverPending } from '../../apply/recover-pending.js';
import { loadPendingWork } from '../../apply/pending-work.js';
import { recoveryIntent, stepsInWords } from '../../apply/describe-recovery.js';
import { journalLeftovers } from '../../apply/journal-leftovers.js';
import { opIdentity } from '../../apply/journal-ops.js';
import { operationWords } from '../../apply/unresolved-work.js';
import { hostDriver } from '../../hypervisor/host-driver.js';
import { observeHost } from '../../observe/observe-host.js';
import { JOURNAL_DIR } from '../../journal/operation-journal.js';
import { forgetJournal, readJournalFiles, type JournalFile } from '../../journal/read-journals.js';

const help = `usage: xensnap recover [DOMAIN] [--dry-run]
       xensnap recover --discard JOURNAL [--yes]

Interrupted work (a create, delete or revert killed or failed half-way) is left as a journal in
stateDir/.journal; apply, run and every changing command recover it first, and skip a domain
whose work cannot be recovered. \`recover\` shows every journal (of DOMAIN only, when named):
what it was doing, how far it got, and what recovery does with it; then it runs that recovery
now, under the instance lock, and says what is still unresolved and why.

--discard JOURNAL drops one journal (its file, or its id as \`recover\` shows it) that the
operator has resolved by hand: recovery will never look at it again and its domain is no longer
skipped. It lists what the journal's work left on disk (files and internal snapshots it names
that still exist): those stay as they are. Asks for confirmation on a terminal, or needs --yes.

  --dry-run   show the journals and what recovery would do; change nothing
  --discard   drop JOURNAL without recovering it
  --yes       do not ask (with --discard)
Exit 0 when no work is left unresolved (for DOMAIN, when named), 1 otherwise (with
--dry-run: 1 when there is any interrupted work).
`;

function journalPath(config: HostConfig, arg: string): string {
  const dir = join(config.stateDir, JOURNAL_DIR);
  const path = arg.includes('/') ? resolve(arg) : join(dir, arg.endsWith('.jsonl') ? arg : `${arg}.jsonl`);
  if (dirname(path) !== resolve(dir) || !basename(path).endsWith('.jsonl')) throw new UserInputError(`recover: ${arg} is not a journal in ${dir}`);
  return path;
}

async function discard(ctx: CommandContext, config: HostConfig, arg: string, yes: boolean): Promise<number> {
  const path = journalPath(config, arg);
  const lock = await acquireInstanceLock(config.stateDir, 'recover --discard');
  try {
    const f: JournalFile | undefined = (await readJournalFiles(config.stateDir)).find((x) => x.file === path);
    if (!f) throw new UserInputError(`recover: there is no journal ${path}`);
    const who = f.kind === 'begun' ? opIdentity(f.op) : null;
    const what = who ? `${operationWords(who.action, who.snapshot)} on ${who.domainName ?? 'an unknown domain'}` : f.kind === 'unreadable' ? `an unreadable journal (${f.problem})` : 'a journal that never began a step';
    const left = await journalLeftovers(f);
    const lines = [`journal ${path}: ${what}`];
    if (f.kind === 'begun') lines.push(`  steps: ${stepsInWords(f)}`);
    lines.push(left.files.length || left.tags.length ? '  discarding it leaves on disk, as they are:' : '  nothing it names is left on disk');
    for (const p of left.files) lines.push(`    ${p}`);
    for (const t of left.tags) lines.push(`    internal snapshot "${t.tag}" in ${t.image}`);
    ctx.stdout.write(lines.join('\n') + '\n');
    if (!(await confirmOnTerminal('Discard this journal without recovering it?', yes, { stdout: ctx.stdout }))) {
      ctx.stdout.write('discard cancelled; nothing was changed\n');
      return 1;
    }
    await forgetJournal(path);
    ctx.stdout.write(`discarded journal ${path}${who?.domainName ? `; ${who.domainName} is no longer skipped` : ''}\n`);
    return 0;
  } finally {
    await lock.release();
  }
}

export const recoverCommand: Command = {
  name: 'recover',
  summary: 'show and recover interrupted work, or discard a journal',
  help,
  async run(ctx) {
    const { values: v, positionals } = parseCommandArgs('recover', ctx.args, { 'dry-run': { type: 'boolean' }, discard: { type: 'string' }, yes: { type: 'boolean' } }, true);
    const config = await loadConfigFor(ctx);
    if (v.discard !== undefined) {
      if (positionals.length || v['dry-run']) throw new UserInputError('recover: --discard JOURNAL takes no DOMAIN and no --dry-run');
      return discard(ctx, config, v.discard, Boolean(v.yes));
    }
    if (positionals.length > 1) throw new UserInputError('recover: at most one DOMAIN');
    if (v.yes) throw new UserInputError('recover: --yes goes with --discard');
    const lock = await acquireInstanceLock(config.stateDir, 'recover');
    try {
      const { domains } = await observeHost(config);
      const name = positionals[0];
      const domain = name ? domains.find((d) => d.name === name) : undefined;
      if (name && !domain) throw new UserInputError(`recover: no domain named "${name}" on this host`);
      const { pending, broken } = await loadPendingWork(config.stateDir, { removeEmpty: !v['dry-run'] });
      const mine = pending.filter((p) => !domain || p.op.domainKey === domain.key);
      const bad = broken.filter((b) => !domain || b.domainKey === domain.key || b.domainKey === null);
      const out: string[] = [];
      for (const p of mine) {
        out.push(`journal ${p.file}: ${operationWords(p.op.action, p.op.snapshot)} on ${p.op.domainName}, started ${p.startedAt}`);
        out.push(`  steps: ${stepsInWords(p)}`);
        out.push(`  recovery: ${recoveryIntent(p)}`);
      }
      for (const b of bad) {
        out.push(`journal ${b.journal}: ${b.operation}${b.domainName ? ` on ${b.domainName}` : ''}`);
        out.push(`  cannot be recovered: ${b.reason}`);
        out.push(`  resolve it by hand, then: xensnap recover --discard ${b.journal}`);
      }
      if (!mine.length && !bad.length) out.push(`no interrupted work${domain ? ` for ${domain.name}` : ''}`);
      ctx.stdout.write(out.join('\n') + '\n');
      if (v['dry-run'] || (!mine.length && !bad.length)) return mine.length || bad.length ? 1 : 0;
      const driver = hostDriver(config);
      const result = await recoverPending({ stateDir: config.stateDir, domains, backends: hostBackends(config, driver), records: recordStore, driver }, domain ? { only: domain.key } : {});
      const lines = [...result.recovered.map((r) => `recovered: ${r}`), ...result.unresolved.map((u) => `unresolved: ${u.operation}${u.domainName ? ` on ${u.domainName}` : ''}: ${u.reason}; journal ${u.journal}`)];
      ctx.stdout.write(lines.join('\n') + '\n');
      return result.unresolved.length ? 1 : 0;
    } finally {
      await lock.release();
    }
  },
};
