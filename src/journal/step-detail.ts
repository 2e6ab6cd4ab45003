// Field checks for the owners' step guards: a journal is read back from disk, so every field
// recovery relies on is checked before the step is trusted.

/** A step before its owner's guard has checked it: a name and a detail object. */
export interface RawStep {
  step: string;
  detail: object;
}

/** A step as read back from a journal file; `done` false means it was in flight. */
export interface ReadStep {
  step: string;
  detail: Record<string, unknown>;
  done: boolean;
}

const at = (detail: object, k: string): unknown => (detail as Record<string, unknown>)[k];

/** True when each key holds a non-empty string. */
export function hasStrings(detail: object, keys: readonly string[]): boolean {
  return keys.every((k) => typeof at(detail, k) === 'string' && at(detail, k) !== '');
}

/** True when each key holds a non-empty string or null. */
export function hasNullableStrings(detail: object, keys: readonly string[]): boolean {
  return keys.every((k) => at(detail, k) === null || (typeof at(detail, k) === 'string' && at(detail, k) !== ''));
}

/** True when each key holds a boolean. */
export function hasBooleans(detail: object, keys: readonly string[]): boolean {
  return keys.every((k) => typeof at(detail, k) === 'boolean');
}

/** True when the key holds one of the given strings. */
export function isOneOf(detail: object, key: string, values: readonly string[]): boolean {
  return typeof at(detail, key) === 'string' && values.includes(at(detail, key) as string);
}

/** True when the key holds a plain object (not an array, not null). */
export function hasObject(detail: object, key: string): boolean {
  const v = at(detail, key);
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when the key holds an array whose every element is a plain object. */
export function hasObjectArray(detail: object, key: string): boolean {
  const v = at(detail, key);
  return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
}

/** True when each key holds a finite number. */
export function hasNumbers(detail: object, keys: readonly string[]): boolean {
  return keys.every((k) => typeof at(detail, k) === 'number' && Number.isFinite(at(detail, k)));
}
