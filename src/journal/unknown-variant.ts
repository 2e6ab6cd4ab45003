import { FormatError } from '../errors.js';

/**
 * The `default:` of an exhaustive switch over a journal's tagged union: the compiler proves it
 * unreachable for everything xensnap writes, and a file that holds something else (another
 * version, a hand edit) gets an error naming the file instead of being taken for another kind.
 */
export function unknownVariant(value: never, what: string, file: string): never {
  const tag = (value as { step?: unknown; action?: unknown }).step ?? (value as { action?: unknown }).action;
  throw new FormatError(file, `unknown ${what} ${JSON.stringify(tag ?? value)}`);
}
