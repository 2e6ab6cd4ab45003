import { UserInputError } from '../errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|([+-])(\d{2}):(\d{2}))$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** How far ahead of this host's clock an `--at` may be: clocks of a fleet drift a little. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The calendar fields' problem ("February 2026 has 28 days"), or null when they name a real time. */
function fieldProblem(y: number, mo: number, d: number, h: number, mi: number, s: number): string | null {
  if (mo < 1 || mo > 12) return `there is no month ${mo}`;
  const n = daysIn(y, mo);
  if (d < 1 || d > n) return `${new Date(Date.UTC(2000, mo - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' })} ${y} has ${n} days`;
  if (h > 23) return `there is no hour ${h}`;
  if (mi > 59) return `there is no minute ${mi}`;
  if (s > 59) return `there is no second ${s}`;
  return null;
}

/**
 * An ISO-8601 instant with an explicit offset (`Z` or `±hh:mm`), e.g. 2026-11-26T04:00:00Z; with
 * `dateOnly`, a bare date (YYYY-MM-DD, midnight UTC) too. Impossible calendar values (February
 * 30th, hour 24, offset +25:00) are refused instead of rolling over into another day.
 */
export function parseInstant(text: string, option: string, opts: { dateOnly?: boolean } = {}): Date {
  const example = 'e.g. 2026-11-26T04:00:00Z';
  const bad = (why: string) => new UserInputError(`${option}: "${text}" ${why}`);
  const date = opts.dateOnly ? DATE_ONLY.exec(text) : null;
  if (date) {
    const [y, mo, d] = date.slice(1, 4).map(Number) as [number, number, number];
    const problem = fieldProblem(y, mo, d, 0, 0, 0);
    if (problem) throw bad(`is not a date: ${problem}`);
    return new Date(Date.UTC(y, mo - 1, d));
  }
  const m = ISO.exec(text);
  if (!m) throw bad(opts.dateOnly ? 'is not an ISO-8601 date (2026-11-26) or time with an offset (2026-11-26T04:00:00Z)' : `is not an ISO-8601 time with an offset, ${example}`);
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const problem = fieldProblem(y, mo, d, h, mi, s);
  if (problem) throw bad(`is not a time: ${problem}`);
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 14 || om > 59 || (oh === 14 && om > 0)) throw bad(`has an impossible offset ${m[9]}${m[10]}:${m[11]} (offsets run from -14:00 to +14:00)`);
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] === undefined ? 0 : Math.round(Number(m[7]) * 1000);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000);
}

/**
 * parseInstant for commands that change things (apply, run --once): the instant must not lie
 * beyond `now` plus MAX_CLOCK_SKEW_MS. A snapshot made for a future slot would hold keepLast
 * and "newest" until that time came, so it is refused, not made.
 */
export function parsePastInstant(text: string, option: string, command: string, now: Date): Date {
  const at = parseInstant(text, option);
  refuseFuture(at, `${command}: ${option} ${text}`, now);
  return at;
}

/** Throws a UserInputError when `at` lies beyond `now` plus the allowed clock skew. */
export function refuseFuture(at: Date, what: string, now: Date): void {
  if (at.getTime() <= now.getTime() + MAX_CLOCK_SKEW_MS) return;
  throw new UserInputError(
    `${what} is in the future (this host's clock says ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}); ` +
      `changes are made only for the present or the past (up to ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead, for clock skew): ` +
      'a snapshot for a future slot would count as the newest until then; nothing was changed',
  );
}
