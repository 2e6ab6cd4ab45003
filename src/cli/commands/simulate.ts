import type { Command, CommandContext } from '../command.js';
import { UserInputError } from '../../errors.js';
import { parseInstant } from '../parse-instant.js';
import { parseSize } from '../../util/parse-size.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { Policy } from '../../model/policy.js';
import { simulate } from '../../plan/simulate.js';
import { loadPolicies } from '../../policy/load-policies.js';
import { slotsBetween } from '../../plan/slots.js';
import { wantColor } from '../../render/color.js';
import { renderSimulateJson, renderSimulateText } from '../../render/simulate-text.js';

/** loadPolicies' contract (src/policy/load-policies.ts). */
export type LoadPolicies = (paths: string[]) => Promise<{ policies: Policy[]; diagnostics: Diagnostic[]; files: string[] }>;

const defaultLoader: LoadPolicies = (paths) => loadPolicies(paths);

/** More slots than this is a mistake (an every-minute schedule over years), not a question. */
const MAX_SLOTS = 100_000;
const DAY_MS = 86_400_000;

/** Slots in the span, estimated from its first day (counting them all would be the mistake). */
function estimateSlots(policy: Policy, from: number, to: number): number {
  if (to - from <= DAY_MS) return 0;
  const firstDay = slotsBetween(policy.schedule, policy.timezone, from, from + DAY_MS - 1).length;
  return Math.round((firstDay * (to - from)) / DAY_MS);
}

const HELP = `usage: xensnap simulate --policy FILE [--name NAME] --from ISO --to ISO [--disk-growth RATE] [--json]

Replays one policy on one synthetic domain: at every slot of its schedule in [from, to]
it creates the due snapshot and applies retention at that moment (run limits off), and
shows what survives at the end.

options:
  --policy FILE  policy file (several documents: pick one with --name)
  --name NAME    the policy to replay when FILE holds more than one
  --from ISO     start of the span (ISO-8601 with an offset, e.g. 2026-01-01T00:00:00Z, or a
                 date, 2026-01-01, meaning its midnight UTC)
  --to ISO       end of the span, inclusive
  --disk-growth RATE
                 new data the disk gets, e.g. 50MiB/h or 2G/h (M, MiB: 2^20 bytes; MB: 10^6;
                 likewise K, G, T): also shows the peak number
                 of snapshots and the space they hold at worst (each snapshot holds what
                 was written since the one before it, the leaf what was written since the
                 newest; no write overwrites an earlier one)
  --json         {formatVersion, policy, from, to, created, survivors}; with --disk-growth
                 also peakSnapshots, peakSnapshotsAt, diskGrowthBytesPerHour, peakHeldBytes, peakHeldAt
`;

interface SimArgs {
  policy: string;
  name: string | null;
  from: Date;
  to: Date;
  json: boolean;
  growth: number | null;
}

/** `50M/h`, `2GiB/h`, `50MB/h`, `1000/h`: bytes per hour (src/util/parse-size.ts: MiB is 2^20, MB 10^6). */
export function parseDiskGrowth(s: string): number {
  const m = /^(.*)\/h$/i.exec(s.trim());
  const bytes = m ? parseSize(m[1]!) : null;
  if (bytes === null) throw new UserInputError(`simulate: --disk-growth ${s} is not a rate like 50MiB/h or 2G/h (bytes per hour; K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024, kB, MB, GB, TB powers of 1000)`);
  return bytes;
}

function parseArgs(args: string[]): SimArgs {
  const v: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') {
      json = true;
      continue;
    }
    const m = /^--(policy|name|from|to|disk-growth)(?:=(.*))?$/.exec(a);
    if (!m) throw new UserInputError(`simulate: unknown argument ${a}; see xensnap help simulate`);
    const val = m[2] ?? args[++i];
    if (val === undefined || val === '') throw new UserInputError(`simulate: --${m[1]} needs a value`);
    v[m[1]!] = val;
  }
  if (!v.policy) throw new UserInputError('simulate: --policy FILE is required');
  if (!v.from || !v.to) throw new UserInputError('simulate: --from ISO and --to ISO are required');
  const date = (opt: string, s: string): Date => parseInstant(s, `simulate: --${opt}`, { dateOnly: true });
  const from = date('from', v.from);
  const to = date('to', v.to);
  if (from.getTime() > to.getTime()) throw new UserInputError(`simulate: --from ${v.from} is after --to ${v.to}`);
  const growth = v['disk-growth'] === undefined ? null : parseDiskGrowth(v['disk-growth']);
  return { policy: v.policy, name: v.name ?? null, from, to, json, growth };
}

function pickPolicy(policies: Policy[], name: string | null, file: string): Policy {
  if (name !== null) {
    const p = policies.find((x) => x.name === name);
    if (!p) throw new UserInputError(`simulate: ${file} has no policy named ${name} (it has: ${policies.map((x) => x.name).join(', ') || 'none'})`);
    return p;
  }
  if (policies.length === 1) return policies[0]!;
  if (policies.length === 0) throw new UserInputError(`simulate: ${file} holds no policy`);
  throw new UserInputError(`simulate: ${file} holds ${policies.length} policies (${policies.map((x) => x.name).join(', ')}); pick one with --name NAME`);
}

/** Runs simulate with an injectable policy loader (tests pass their own). */
export async function runSimulate(ctx: CommandContext, load: LoadPolicies): Promise<number> {
  const a = parseArgs(ctx.args);
  const loaded = await load([a.policy]);
  if (loaded.diagnostics.length) throw new UserInputError('invalid policy', loaded.diagnostics);
  const policy = pickPolicy(loaded.policies, a.name, a.policy);
  const count = estimateSlots(policy, a.from.getTime(), a.to.getTime());
  if (count > MAX_SLOTS) {
    throw new UserInputError(`simulate: about ${count} slots between --from and --to; at most ${MAX_SLOTS} are replayed, shorten the span`);
  }
  const result = simulate({ policy, from: a.from, to: a.to, ...(a.growth === null ? {} : { diskGrowthBytesPerHour: a.growth }) });
  ctx.stdout.write(a.json ? renderSimulateJson(result) : renderSimulateText(result, { color: wantColor(ctx.stdout as { isTTY?: boolean }, ctx.env) }));
  return 0;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'replay a policy over a time span',
  help: HELP,
  json: true,
  run: (ctx) => runSimulate(ctx, defaultLoader),
};
