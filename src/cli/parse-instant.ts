import { UserInputError } from '../errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 instant with an explicit offset (`Z` or `±hh:mm`); anything else is refused. */
export function parseInstant(text: string, option: string): Date {
  const d = new Date(text);
  if (!ISO.test(text) || Number.isNaN(d.getTime())) {
    throw new UserInputError(`${option}: "${text}" is not an ISO-8601 time with an offset, e.g. 2026-11-26T04:00:00Z`);
  }
  return d;
}
